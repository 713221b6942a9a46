"""Legacy word-processor files (.doc, .wps, .rtf, .odt) through LibreOffice.

LibreOffice converts the file to DOCX, which the DOCX reader reads, so the
tables come out with the same merged cells as a DOCX original. Each call
gets a private LibreOffice profile directory: two conversions sharing the
default profile block each other (or one silently does nothing).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from . import limits
from .document import Document
from .errors import MissingTool, ParseError
from .sandbox import die_with_parent

APT_PACKAGE = "libreoffice-writer-nogui"
_SUFFIX = {"doc": ".doc", "wps": ".wps", "rtf": ".rtf", "odt": ".odt"}


def soffice_path() -> str:
    path = shutil.which("soffice") or shutil.which("libreoffice")
    if path is None:
        raise MissingTool(f"LibreOffice is not installed (apt-get install {APT_PACKAGE}); cannot read .doc/.wps/.rtf/.odt")
    return path


def convert(data: bytes, suffix: str, target: str = "docx", timeout: float = limits.CONVERT_TIMEOUT) -> bytes:
    """Convert a document with LibreOffice headless and return the converted bytes."""
    soffice = soffice_path()
    with tempfile.TemporaryDirectory(prefix="nianbao-soffice-") as tmp:
        work = Path(tmp)
        source = work / f"input{suffix}"
        source.write_bytes(data)
        command = [
            soffice,
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--headless", "--norestore", "--nolockcheck",
            "--convert-to", target, "--outdir", str(work / "out"), str(source),
        ]
        # Its own process group, so that a timeout kills soffice.bin, not just the wrapper script;
        # and it dies with the reader that started it (parsers/sandbox.py kills the rest of its tree).
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
            preexec_fn=die_with_parent,
        )
        try:
            _, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise ParseError(f"LibreOffice conversion to {target} timed out after {timeout:.0f} s") from None
        outputs = list((work / "out").glob(f"*.{target.split(':')[0]}"))
        if not outputs:
            reason = stderr.decode("utf-8", "replace").strip().splitlines()
            reason = [line for line in reason if "javaldx" not in line]
            raise ParseError(
                f"LibreOffice could not convert the file to {target}"
                + (f": {reason[-1]}" if reason else " (corrupt or not a document)")
            )
        return outputs[0].read_bytes()


def _suffix(data: bytes, filename: str | None) -> str:
    if data.startswith(b"{\\rtf"):
        return ".rtf"
    if data.startswith(b"PK"):
        return ".odt"
    if filename and Path(filename).suffix.lower() in (".doc", ".wps"):
        return Path(filename).suffix.lower()
    return ".doc"  # LibreOffice detects Word and WPS binaries from content either way


OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _check_ole2(data: bytes) -> None:
    """Refuse a .doc/.wps whose OLE2 header is broken: LibreOffice would
    otherwise import the bytes as plain text and "succeed" with garbage."""
    import struct

    if len(data) < 1024:
        raise ParseError(f"corrupt Word/WPS file: {len(data)} bytes is shorter than an OLE2 container")
    byte_order, sector_shift, mini_shift = struct.unpack_from("<HHH", data, 0x1C)
    if byte_order != 0xFFFE or sector_shift not in (9, 12) or mini_shift != 6:
        raise ParseError("corrupt Word/WPS file: invalid OLE2 header")


def read_office(data: bytes, *, filename=None, content_type=None, base_dir=None) -> Document:
    from .docx import read_docx

    limits.check_input_size(data)
    if data.startswith(b"PK"):
        limits.check_zip(data)
    if data.startswith(OLE2_MAGIC):
        _check_ole2(data)
    suffix = _suffix(data, filename)
    doc = read_docx(convert(data, suffix), filename=filename, content_type=content_type, base_dir=base_dir)
    doc.source_format = suffix.lstrip(".")
    return doc
