"""The archive: originals kept byte for byte (content-addressed), their fetch
records, the SQLite database loaded with sqlite-utils, WARC export, and the
``nianbao`` command line."""

from .archive import Archive, FetchResult

__all__ = ["Archive", "FetchResult"]
