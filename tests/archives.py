"""ZIP and 7z attachments for the tests, including the hostile ones: GBK names
without the UTF-8 flag, traversal names, encrypted and corrupt members."""

from __future__ import annotations

import io
import re
import zipfile

from nianbao.testbed.synthetic import render_html


def text_only_page(record: dict) -> bytes:
    """The report's page with its tables left out: the text a body publishes when the
    tables are attached as a spreadsheet."""
    page = render_html(record, page="bare").decode("utf-8")
    return re.sub(r"<table.*?</table>", "", page, flags=re.S).encode("utf-8")


def zip_of(members: dict[str, bytes], *, method=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def gbk_named_zip(name: str, data: bytes) -> bytes:
    """A ZIP whose member name is stored in GBK without the UTF-8 flag, as Windows'
    built-in zipper and WinRAR on Chinese Windows write it."""
    raw = name.encode("gbk")
    placeholder = "x" * (len(raw) - 4) + raw[-4:].decode("ascii")  # same length, ASCII: no flag
    packed = zip_of({placeholder: data})
    assert packed.count(placeholder.encode()) == 2  # local header and central directory
    return packed.replace(placeholder.encode(), raw)


def with_flag_bits(packed: bytes, bits: int) -> bytes:
    """Set general-purpose flag bits on every header (bit 0: encrypted)."""
    data = bytearray(packed)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        for match in re.finditer(re.escape(signature), bytes(data)):
            position = match.start() + offset
            data[position] |= bits
    return bytes(data)


def seven_zip_of(members: dict[str, bytes], password: str | None = None) -> bytes:
    import py7zr

    out = io.BytesIO()
    with py7zr.SevenZipFile(out, "w", password=password, header_encryption=password is not None) as archive:
        for name, data in members.items():
            archive.writestr(data, name)
    return out.getvalue()
