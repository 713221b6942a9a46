"""ZIP and 7z attachments: every member is a candidate document.

Bodies attach a report as 年报.zip holding the text (DOCX/PDF) and the
statistics tables (统计表.xls), or one report per body. ``unpack`` returns
the members in archive order, in memory (nothing is written to disk), with a
one-line ``error`` for a member that is not read. Limits, so that a hostile
archive costs bounded time and memory:

* at most ``MAX_MEMBERS`` members (all levels together);
* the bytes really inflated, counted while inflating (the directory's sizes
  are never trusted), at most ``limits.MAX_UNZIPPED_BYTES`` in all;
* an archive inside an archive is read ``MAX_DEPTH`` levels deep, no deeper;
* names that are absolute or climb (``..``) are refused, though nothing is
  extracted to disk, because such an archive was made to attack unzippers;
* an encrypted or corrupt member is a one-line error; the others are read.

ZIP names without the UTF-8 flag are decoded as GB18030 (Chinese Windows
writes GBK names); anything undecodable keeps zipfile's CP437 reading.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass

from . import limits
from .errors import ParseError

MAX_MEMBERS = 200
# An archive in an archive is read; one more level down is not.
MAX_DEPTH = 2
SEVEN_ZIP_MAGIC = b"7z\xbc\xaf\x27\x1c"
# Entries that are not documents: macOS resource forks and Finder files, Windows thumbnails.
_JUNK = re.compile(r"(^|/)(__MACOSX/|\._|\.DS_Store$|Thumbs\.db$)", re.IGNORECASE)
_ZIP_UTF8_FLAG = 0x800
_ZIP_ENCRYPTED_FLAG = 0x1


@dataclass
class Member:
    """One file of an archive: ``name`` is its path, nested archives joined by " › "."""

    name: str
    data: bytes | None = None
    error: str | None = None


class _Budget:
    """What the whole unpacking may still take: members and inflated bytes."""

    def __init__(self):
        self.members = MAX_MEMBERS
        self.bytes = limits.MAX_UNZIPPED_BYTES

    def take_member(self) -> bool:
        self.members -= 1
        return self.members >= 0

    def take_bytes(self, count: int, what: str) -> None:
        self.bytes -= count
        if self.bytes < 0:
            raise ParseError(
                f"archive decompresses to more than {limits.MAX_UNZIPPED_BYTES // 2**20} MB (cap) "
                f"at {what}; not read"
            )


def is_container(data: bytes, filename: str | None = None) -> bool:
    """A ZIP or 7z archive that is not itself a document package (DOCX, XLSX, OFD …;
    a package too broken to list is what its name says)."""
    from .detect import detect_format

    if not data.startswith((b"PK\x03\x04", b"PK\x05\x06", SEVEN_ZIP_MAGIC)):
        return False
    try:
        return detect_format(data, filename) in ("zip", "7z")
    except ParseError:
        return False


def unpack(data: bytes, filename: str | None = None) -> list[Member]:
    """The archive's members (documents only, nested archives opened), in order.

    Raises ``ParseError`` when the archive itself cannot be listed or breaks a
    cap that bounds the whole (size, nesting bomb); a member's own trouble is
    its ``error``."""
    limits.check_input_size(data)
    budget = _Budget()
    members = _unpack(data, "", 1, budget)
    if budget.members < 0:
        members.append(Member("…", error=f"archive has more than {MAX_MEMBERS} members; the rest not read (cap)"))
    return members


def _unpack(data: bytes, prefix: str, depth: int, budget: _Budget) -> list[Member]:
    entries = _seven_zip(data, budget) if data.startswith(SEVEN_ZIP_MAGIC) else _zip(data, budget)
    out: list[Member] = []
    for member in entries:
        member.name = prefix + member.name
        if member.data is not None and is_container(member.data, member.name.rpartition("/")[2]):
            if depth >= MAX_DEPTH:
                member.data, member.error = None, f"archive nested more than {MAX_DEPTH} levels deep; not read"
            else:
                try:
                    out += _unpack(member.data, member.name + " › ", depth + 1, budget)
                    continue
                except ParseError as exc:
                    member.data, member.error = None, str(exc)
        out.append(member)
    return out


def _unsafe(name: str) -> str | None:
    """Why a member name is refused, or None."""
    parts = re.split(r"[\\/]", name)
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return "absolute path"
    if ".." in parts:
        return "path climbs out of the archive (..)"
    if "\0" in name:
        return "NUL in name"
    return None


def _zip_name(info: zipfile.ZipInfo) -> str:
    if info.flag_bits & _ZIP_UTF8_FLAG:
        return info.filename
    try:  # zipfile decoded the raw bytes as CP437; undo that and read them as GBK/GB18030
        return info.filename.encode("cp437").decode("gb18030")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _zip(data: bytes, budget: _Budget) -> list[Member]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise ParseError(f"corrupt ZIP archive: {exc}") from None
    members: list[Member] = []
    with archive:
        for info in archive.infolist():
            name = _zip_name(info)
            if info.is_dir() or _JUNK.search(name):
                continue
            if not budget.take_member():
                break
            member = Member(name)
            members.append(member)
            if reason := _unsafe(name):
                member.error = f"unsafe member name ({reason}); not read"
            elif info.flag_bits & _ZIP_ENCRYPTED_FLAG:
                member.error = "encrypted member: a password is required"
            else:
                try:
                    member.data = _inflate(archive, info, name, budget)
                except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
                    member.error = f"corrupt member: {' '.join(str(exc).split()) or type(exc).__name__}"
                except NotImplementedError as exc:  # e.g. Deflate64, which zipfile cannot inflate
                    member.error = f"unsupported member: {' '.join(str(exc).split())}"
                except RuntimeError as exc:  # zipfile's word for an encrypted entry it found late
                    member.error = f"unreadable member: {' '.join(str(exc).split())}"
    return members


def _inflate(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, budget: _Budget) -> bytes:
    chunks = []
    with archive.open(info) as stream:
        while chunk := stream.read(1 << 20):
            budget.take_bytes(len(chunk), name)
            chunks.append(chunk)
    return b"".join(chunks)


def _seven_zip(data: bytes, budget: _Budget) -> list[Member]:
    try:
        import py7zr
        from py7zr.io import Py7zIO, WriterFactory
    except ImportError:  # pragma: no cover - py7zr is a dependency
        raise ParseError("7z archive: py7zr is not installed") from None

    class Counted(Py7zIO):
        """A member's bytes in memory, counted against the budget as py7zr writes them."""

        def __init__(self, name: str):
            self.name, self.buffer = name, io.BytesIO()

        def write(self, s) -> int:
            budget.take_bytes(len(s), self.name)
            return self.buffer.write(s)

        def read(self, size=None) -> bytes:
            return self.buffer.read(size)

        def seek(self, offset, whence=0) -> int:
            return self.buffer.seek(offset, whence)

        def flush(self) -> None:
            pass

        def size(self) -> int:
            return self.buffer.getbuffer().nbytes

    class Factory(WriterFactory):
        def __init__(self):
            self.products: dict[str, Counted] = {}

        def create(self, filename: str) -> Counted:
            self.products[filename] = Counted(filename)
            return self.products[filename]

    try:
        with py7zr.SevenZipFile(io.BytesIO(data)) as archive:
            if archive.needs_password():
                raise ParseError("encrypted 7z archive: a password is required")
            entries = [entry for entry in archive.list() if not entry.is_directory]
            members: list[Member] = []
            wanted: list[str] = []
            for entry in entries:
                if _JUNK.search(entry.filename):
                    continue
                if not budget.take_member():
                    break
                member = Member(entry.filename)
                members.append(member)
                if reason := _unsafe(entry.filename):
                    member.error = f"unsafe member name ({reason}); not read"
                else:
                    wanted.append(entry.filename)
            factory = Factory()
            if wanted:
                archive.extract(targets=wanted, factory=factory)
    except ParseError:
        raise
    except Exception as exc:  # py7zr raises many kinds (Bad7zFile, CrcError, lzma errors …)
        if type(exc).__name__ == "PasswordRequired":  # the names themselves are encrypted
            raise ParseError("encrypted 7z archive: a password is required") from None
        raise ParseError(f"corrupt 7z archive: {' '.join(str(exc).split()) or type(exc).__name__}") from None
    for member in members:
        if member.error is None:
            product = factory.products.get(member.name)
            if product is None:
                member.error = "member could not be extracted"
            else:
                member.data = product.buffer.getvalue()
    return members
