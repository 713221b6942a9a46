"""Bounds on what one visitor's SQL can cost a public site.

Datasette stops a query at ``sql_time_limit_ms`` with a progress handler that SQLite calls
between virtual-machine instructions. That leaves three ways to stall or exhaust the server,
each closed here, on every connection Datasette opens:

* one instruction that builds a huge value (``randomblob(1000000000)``: 64 s, 3.4 GB):
  ``SQLITE_LIMIT_LENGTH`` makes SQLite refuse any string or blob over ``MAX_VALUE_BYTES``
  at once ("string or blob too big");
* many large values in one result (1,000 rows of 10 MB each): rows are counted as they are
  fetched and the query fails once they pass ``MAX_RESULT_BYTES``;
* a Python function, during which no instruction runs and so no progress handler fires:
  the functions bound their own work (``nianbao_search.jieba_query`` refuses long input).

And the server's file system stays private: ``pragma_database_list`` answers NULL for
the file column (SQLite's authorizer), so no absolute path leaves through SQL.
"""

from __future__ import annotations

import sqlite3
import weakref

from datasette import hookimpl

# The longest value the archive holds is a section's text (tens of KB); 16 MiB leaves room.
MAX_VALUE_BYTES = 16 << 20
# Datasette returns at most max_returned_rows (1,000) rows; together they may hold this much.
MAX_RESULT_BYTES = 64 << 20


class ResultTooLarge(sqlite3.OperationalError):
    pass


_fetched: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _bounded_row(cursor, values):
    """``sqlite3.Row`` as Datasette expects, counting the bytes each cursor has returned."""
    size = sum(len(v) for v in values if isinstance(v, (str, bytes)))
    if size:
        total = _fetched.get(cursor, 0) + size
        if total > MAX_RESULT_BYTES:
            raise ResultTooLarge(
                f"result too large: over {MAX_RESULT_BYTES >> 20} MB; select fewer rows or shorter values"
            )
        _fetched[cursor] = total
    return sqlite3.Row(cursor, values)


def _authorizer(action, arg1, arg2, database, trigger):
    # Reading pragma_database_list's "file" column gives NULL instead of the server's path.
    if action == sqlite3.SQLITE_READ and arg1 == "pragma_database_list" and arg2 == "file":
        return sqlite3.SQLITE_IGNORE
    return sqlite3.SQLITE_OK


@hookimpl
def prepare_connection(conn):
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
    conn.set_authorizer(_authorizer)
    conn.row_factory = _bounded_row


@hookimpl
def register_routes():
    # Datasette's own /-/databases.json lists each database's absolute path.
    return [(r"^/-/databases(\.json)?$", databases)]


async def databases(datasette):
    from datasette.utils.asgi import Response

    return Response.json([
        {"name": db.name, "route": db.route, "size": db.size, "is_mutable": db.is_mutable}
        for name, db in datasette.databases.items() if name != "_internal"
    ])
