"""Time a test moves by hand, for what takes a clock (rate limits, throttles)."""


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
