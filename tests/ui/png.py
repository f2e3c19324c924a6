"""Just enough PNG decoding (zlib and struct) to look at a browser screenshot's pixels: 8-bit RGB or RGBA,
not interlaced, which is what Chromium writes."""

import struct
import zlib
from collections import Counter

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CHANNELS = {2: 3, 6: 4}  # colour type -> bytes per pixel at bit depth 8


def pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """(width, height, every pixel as bytes), rows top to bottom."""
    assert data.startswith(SIGNATURE), "not a PNG file"
    offset, idat, header = len(SIGNATURE), b"", b""
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        offset += 12 + length
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    if depth != 8 or colour not in _CHANNELS or interlace:
        raise ValueError(f"unsupported PNG: depth {depth}, colour type {colour}, interlace {interlace}")
    step = _CHANNELS[colour]
    raw = zlib.decompress(idat)
    stride = width * step
    previous = bytearray(stride)
    result: list[bytes] = []
    for row in range(height):
        start = row * (stride + 1)
        line = _unfilter(raw[start], bytearray(raw[start + 1 : start + 1 + stride]), previous, step)
        result.extend(bytes(line[i : i + step]) for i in range(0, stride, step))
        previous = line
    return width, height, result


def _unfilter(kind: int, line: bytearray, previous: bytearray, step: int) -> bytearray:
    """Undo the row's filter (none, sub, up, average or paeth), one loop per kind for speed."""
    if kind == 0:
        return line
    if kind == 2:
        return bytearray((a + b) & 0xFF for a, b in zip(line, previous, strict=True))
    if kind == 1:
        for i in range(step, len(line)):
            line[i] = (line[i] + line[i - step]) & 0xFF
        return line
    for i in range(len(line)):
        left = line[i - step] if i >= step else 0
        if kind == 3:
            line[i] = (line[i] + (left + previous[i]) // 2) & 0xFF
        else:
            up_left = previous[i - step] if i >= step else 0
            line[i] = (line[i] + _paeth(left, previous[i], up_left)) & 0xFF
    return line


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def colour_spread(data: bytes) -> tuple[int, tuple[int, int, int], float]:
    """(distinct colours, the commonest colour as RGB, the share of the pixels that have it)."""
    _, _, found = pixels(data)
    counts = Counter(found)
    commonest, count = counts.most_common(1)[0]
    red, green, blue = commonest[:3]
    return len(counts), (red, green, blue), count / len(found)
