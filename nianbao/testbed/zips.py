"""Hostile ZIP packages for the tests and ``benchmarks.hostile``."""

from __future__ import annotations

# (header signature, where its file name starts, where its uncompressed size is): local header, central directory.
_HEADERS = ((b"PK\x03\x04", 30, 22), (b"PK\x01\x02", 46, 24))


def understate(package: bytes, member: str, declared: int) -> bytes:
    """``package`` with every header of ``member`` claiming it inflates to ``declared`` bytes
    (the bomb that gets past a check of the directory's sizes)."""
    data = bytearray(package)
    name = member.encode()
    for signature, name_at, size_at in _HEADERS:
        at = data.find(signature)
        while at >= 0:
            if data[at + name_at: at + name_at + len(name)] == name:
                data[at + size_at: at + size_at + 4] = declared.to_bytes(4, "little")
            at = data.find(signature, at + 4)
    return bytes(data)
