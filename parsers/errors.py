"""Errors a reader raises for input it cannot read. The message is one line
meant for people: it names the reason; the caller names the file."""


class ParseError(Exception):
    """The input is corrupt, empty, too large or otherwise unreadable."""


class UnsupportedFormat(ParseError):
    """The input is of a kind nianbao does not read (or not a report at all)."""


class MissingTool(ParseError):
    """A system program a reader needs is not installed (e.g. LibreOffice)."""
