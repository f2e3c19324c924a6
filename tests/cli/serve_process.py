"""`datagraph serve` as a real child process: the environment it runs in and, for HTTP, waiting for it."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.support.services import free_loopback_port, log_tail, stop_process

REPO = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_S = 60.0


def cli_env(**extra: str) -> dict[str, str]:
    """A clean environment for the CLI: nothing of this machine's DATAGRAPH_* settings leaks in."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith("DATAGRAPH_")}
    return {**keep, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", **extra}


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "datagraph.cli", *args]


@contextmanager
def http_server(home: Path, log: Path, **env: str) -> Iterator[str]:
    """`datagraph serve --transport http` on a free loopback port; yields its base URL once /healthz answers."""
    with http_server_process(home, log, **env) as (base, _):
        yield base


@contextmanager
def http_server_process(home: Path, log: Path, **env: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """As `http_server`, and the server's process too (for its pid, or to see that it is still alive)."""
    port = free_loopback_port()
    command = cli_command("serve", "--transport", "http", "--port", str(port), "--home", str(home))
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=cli_env(**env), cwd=home.parent, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"datagraph serve exited with {process.returncode}: {log_tail(log)}")
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"datagraph serve did not answer /healthz: {log_tail(log)}")
            time.sleep(0.1)
        yield base, process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        stop_process(process, grace_s=20)
