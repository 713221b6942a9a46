"""SQLite settings for Datasette's connections to the archive.

Memory-mapped reads: a search for a word every report prints (复议 is in section 四's
title) makes Datasette count 100,000 matching sections, each a row looked up by id;
through ``read()`` calls that took 230 ms at 100,000 reports, mapped 90 ms
(``benchmarks.datasette``). The mapping shares the operating system's page cache, so
it costs no memory of its own; SQLite caps it (2 GiB in this build) and reads the rest
of a larger file as before.
"""

from __future__ import annotations

from datasette import hookimpl

MMAP_BYTES = 1 << 31


@hookimpl
def prepare_connection(conn):
    conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
