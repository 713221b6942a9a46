"""The archive: originals kept byte for byte (content-addressed), their fetch
records, the SQLite database loaded with sqlite-utils, WARC export, and the
``nianbao`` command line."""

__all__ = ["Archive", "FetchResult"]


def __getattr__(name):
    # Lazy: sqlite-utils pulls in pandas, a second of start-up every ``nianbao`` command would pay.
    if name in __all__:
        from . import archive

        return getattr(archive, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
