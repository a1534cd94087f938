"""Checks that bytes are a complete PNG of a sensible size (charts, attachments)."""

from __future__ import annotations

import struct

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(body: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which must come first."""
    assert body[:8] == PNG_SIGNATURE
    length, kind = struct.unpack(">I4s", body[8:16])
    assert (length, kind) == (13, b"IHDR")
    width, height = struct.unpack(">II", body[16:24])
    return width, height


def check_png(body: bytes) -> None:
    width, height = png_size(body)
    assert 800 <= width <= 3000 and 400 <= height <= 2000, (width, height)
    assert 10_000 <= len(body) <= 2_000_000, len(body)
    assert body.endswith(b"IEND\xaeB`\x82")  # complete, not truncated
