"""Safe file names from hostile sources.

A name comes from a URL path or a Content-Disposition header, so it may be
anything: ``../../etc/passwd``, an absolute path, NUL bytes, 10,000
characters, ``CON.pdf``, raw GBK bytes. Names are only ever labels here (the
store files originals by sha256), but every name that reaches the disk or
the database goes through ``safe_filename`` first, and every path built
from one through ``safe_join``.
"""

from __future__ import annotations

import re
import unicodedata
from email.message import Message
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, unquote_to_bytes, urlsplit

# Bytes, not characters: ext4 and most file systems cap a name at 255 bytes.
MAX_NAME_BYTES = 200

_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"{p}{n}" for p in ("COM", "LPT") for n in range(1, 10)}
# Separators and the characters Windows forbids in a name.
_FORBIDDEN = re.compile(r'[<>:"/\\|?*]')


def decode_name(raw: bytes) -> str:
    """A file name's bytes as text: UTF-8, else GB18030 (names from Windows ZIPs and old
    CDs), else with the undecodable bytes escaped as ``\\xNN``."""
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", "backslashreplace")


def printable(text: str) -> str:
    """``text`` with control and format characters escaped (``\\x1b``, ``\\n``, ``\\u202e``),
    so that a name cannot rewrite a terminal or forge a log line."""
    out = []
    for char in str(text):
        if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            out.append(char.encode("unicode_escape").decode("ascii"))
        else:
            out.append(char)
    return "".join(out)


class UnsafePath(ValueError):
    """A path built from outside input would leave its root directory."""


def safe_filename(name: str | None, fallback: str = "file") -> str:
    """A single path component that is safe on POSIX and Windows, keeping what is printable.

    Only the last component of ``name`` survives (``a/../b.pdf`` -> ``b.pdf``).
    """
    if not name:
        return fallback
    name = unicodedata.normalize("NFC", name)
    name = re.split(r"[/\\]", name)[-1]
    # Control characters (NUL included) and Unicode format characters (RTL overrides) go.
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _FORBIDDEN.sub("_", name)
    # Leading dots would make hidden files or "..", trailing dots/spaces vanish on Windows.
    name = name.strip().lstrip(".").rstrip(". ")
    if not name:
        return fallback
    stem, dot, ext = name.partition(".")
    if stem.upper() in _WINDOWS_RESERVED:
        name = "_" + name
    return _truncate(name)


def _truncate(name: str) -> str:
    if len(name.encode("utf-8")) <= MAX_NAME_BYTES:
        return name
    suffix = PurePosixPath(name).suffix
    if len(suffix.encode("utf-8")) > 16:
        suffix = ""
    stem = name[: len(name) - len(suffix)] if suffix else name
    budget = MAX_NAME_BYTES - len(suffix.encode("utf-8"))
    stem = stem.encode("utf-8")[:budget].decode("utf-8", "ignore")
    return stem + suffix


def safe_join(root: Path, *parts: str) -> Path:
    """``root / parts`` resolved, refusing any result outside ``root``."""
    root = Path(root).resolve()
    target = root.joinpath(*parts).resolve()
    if target != root and root not in target.parents:
        raise UnsafePath(f"path escapes {root}: {'/'.join(parts)!r}")
    return target


def _decode_raw(raw: bytes) -> str:
    """Header bytes in whatever the server used: UTF-8, else GB18030 (a superset of GBK)."""
    for encoding in ("utf-8", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def filename_from_content_disposition(value: str | bytes | None) -> str | None:
    """The file name a Content-Disposition header gives, made safe; None if it gives none.

    Header values are stored as latin-1 text (byte for byte), so a server that
    sent raw GBK or UTF-8 bytes is decoded here. RFC 6266 ``filename*`` wins
    over ``filename``; percent-encoded plain ``filename`` values (common on
    Chinese portals) are decoded too.
    """
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = value.encode("latin-1")
        except UnicodeEncodeError:
            value = value.encode("utf-8")
    text = _decode_raw(value)
    message = Message()
    message["Content-Disposition"] = text
    params = dict((k.lower(), v) for k, v in (message.get_params(header="Content-Disposition") or [])[1:])
    extended = params.get("filename*")
    if extended is not None:
        # email.message decodes RFC 2231 (charset'lang'%XX) into a tuple, or leaves a str.
        name = _decode_extended(extended)
        if name:
            return safe_filename(name)
    name = params.get("filename")
    if isinstance(name, tuple):
        name = _decode_extended(name)
    if not name:
        return None
    if re.search(r"%[0-9A-Fa-f]{2}", name):
        name = _decode_raw(unquote_to_bytes(name))
    return safe_filename(name)


def _decode_extended(value) -> str | None:
    if isinstance(value, tuple):
        charset, _language, encoded = value
        raw = encoded.encode("latin-1", "replace") if isinstance(encoded, str) else encoded
        try:
            return raw.decode(charset or "utf-8")
        except (LookupError, UnicodeDecodeError):
            return _decode_raw(raw)
    charset, sep, rest = value.partition("'")
    if sep:
        _language, _, encoded = rest.partition("'")
        raw = unquote_to_bytes(encoded)
        try:
            return raw.decode(charset or "utf-8")
        except (LookupError, UnicodeDecodeError):
            return _decode_raw(raw)
    return unquote(value)


def filename_from_url(url: str) -> str | None:
    """The last path segment of a URL, percent-decoded (UTF-8, else GB18030), made safe."""
    path = urlsplit(url).path
    segment = path.rstrip("/").rsplit("/", 1)[-1] if path else ""
    if not segment:
        return None
    return safe_filename(_decode_raw(unquote_to_bytes(segment)))
