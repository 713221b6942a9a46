"""Datasette plugin: facet counts the loader kept, instead of counting a million rows per page.

The table pages of ``reports``, ``checks`` and ``report_totals`` name their default facets
as ``- counted: year`` (metadata.yml). This facet type answers as Datasette's column facet
does (same results, same links, ``type`` "column"), reading ``facet_counts``
(``refresh_counts`` in archive/db.py, rebuilt after every load) when the page shows a set the
loader counted: the whole table, or the rows of one value of one filter column
(``?year=2022``). Any other page (two filters, ``_where``, ``_search``, a later page of
``_next``) is counted by SQLite, as the column facet counts it.

The kept counts are trusted only when the set's own number of rows, kept with them,
equals the page's row count (from the inspect data or ``count(*)``): counts of an
archive changed since, or a value written otherwise (``year=2022.0``), are counted afresh.
"""

from __future__ import annotations

import re

from datasette import hookimpl
from datasette.facets import ColumnFacet
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args

# Pages of at most this many rows have their uncounted facets counted in one read of the rows.
ONE_PASS_ROWS = 100_000
# The one filter clause Datasette writes for ?column=value (or ?column__exact=value): the
# column quoted ("year") or bracketed ([年度_year]).
_ONE_FILTER = re.compile(r'^(?:"(?P<quoted>[^"]+)"|\[(?P<bracketed>[^\]]+)\]|(?P<plain>\w+)) = :p0$')


class CountedFacet(ColumnFacet):
    """A column facet whose counts come from ``facet_counts`` when the loader kept them."""

    type = "counted"

    def counted_set(self) -> tuple[str, str | None] | None:
        """(filter column or '', filter value) of this page's rows, if they are a set the loader counts."""
        head = f"from {escape_sqlite(self.table)} "
        if not self.table or head not in self.sql:
            return None
        where = self.sql.split(head, 1)[1].strip()
        if not where:
            return ("", None) if not self.params else None
        match = _ONE_FILTER.match(where.removeprefix("where ").strip())
        if not where.startswith("where ") or not match or set(self.params) != {"p0"}:
            return None
        return match.group("quoted") or match.group("bracketed") or match.group("plain"), str(self.params["p0"])

    async def kept_counts(self, limit: int) -> dict[str, list[dict]] | None:
        """Facet column -> its rows ``{value, count}`` (the first ``limit``) from ``facet_counts``,
        or None when they cannot be trusted. One query for all the page's facets."""
        found = self.counted_set()
        row_count = await self.get_row_count() if found else None
        if found is None or row_count is None:
            return None
        filter_column, filter_value = found
        try:
            rows = await self.ds.get_database(self.database).execute(
                # NULL (a facet does not show it) ranked last, kept so that a column whose every
                # value is NULL is still known to be counted.
                "select facet_column, value, count from (select facet_column, value, count, row_number() over "
                "(partition by facet_column order by value is null, count desc, value) as n from facet_counts "
                "where table_name = :table and filter_column = :filter and filter_value is :value) "
                "where n <= :limit + 1",
                {"table": self.table, "filter": filter_column, "value": filter_value, "limit": limit})
        except Exception:  # an archive older than migration 13: no kept counts
            return None
        counts: dict[str, list[dict]] = {}
        for row in rows:
            values = counts.setdefault(row["facet_column"], [])
            if row["value"] is not None or row["facet_column"] == "":
                values.append({"value": row["value"], "count": row["count"]})
        size = counts.pop("", None)
        if not size or size[0]["count"] != row_count:
            return None
        return {column: values[:limit] for column, values in counts.items()}

    async def facet_results(self):
        results, timed_out = [], []
        qs_pairs = self.get_querystring_pairs()
        facet_size = self.get_facet_size()
        configs = self.get_configs()
        kept = await self.kept_counts(facet_size + 1) if configs else None
        columns = [config["config"].get("column") or config["config"]["simple"] for config in configs]
        uncounted = [c for c in columns if kept is None or kept.get(c) is None]  # None: a column not counted
        counted = await self.counted_by_sqlite(uncounted, facet_size + 1) if uncounted else {}
        for source_and_config, column in zip(configs, columns):
            rows = kept.get(column) if kept is not None and kept.get(column) is not None else counted.get(column)
            if rows is None:
                timed_out.append(column)
                continue
            values = []
            for row in rows[:facet_size]:
                column_qs = f"{column}__exact" if column.startswith("_") else column
                selected = (column_qs, str(row["value"])) in qs_pairs
                toggle = (path_with_removed_args(self.request, {column_qs: str(row["value"])}) if selected
                          else path_with_added_args(self.request, {column_qs: row["value"]}))
                values.append({
                    "value": row["value"], "label": row["value"], "count": row["count"],
                    "toggle_url": self.ds.absolute_url(self.request, self.ds.urls.path(toggle)),
                    "selected": selected,
                })
            results.append({
                "name": column,
                # Shown and linked as Datasette's own column facet.
                "type": "column",
                "hideable": source_and_config["source"] != "metadata",
                "toggle_url": self.ds.urls.path(path_with_removed_args(self.request, {"_facet": column})),
                "results": values,
                "truncated": len(rows) > facet_size,
            })
        return results, timed_out

    async def counted_by_sqlite(self, columns: list[str], limit: int) -> dict[str, list[dict]]:
        """What Datasette's column facet runs, within the facet time limit (a column whose
        count ran out of time is left out). A page of at most ``ONE_PASS_ROWS`` rows is read
        once for all the columns (five facets of the 9,600 reports of one province and year
        read them five times); a larger one is counted column by column, as Datasette does,
        each from its index where there is one."""
        from datasette.database import QueryInterrupted

        def grouped(col: str, source: str, facet: str = "") -> str:
            return (f"select {facet}{col} as value, count(*) as count from {source} where {col} is not null "
                    f"group by {col} order by count desc, value limit {int(limit)}")

        limit_ms = self.ds.setting("facet_time_limit_ms")
        counted: dict[str, list[dict]] = {}
        if len(columns) > 1 and self.row_count is not None and self.row_count <= ONE_PASS_ROWS:
            names = ", ".join(escape_sqlite(c) for c in columns)
            sql = f"with page as materialized (select {names} from ({self.sql})) " + " union all ".join(
                f"select * from ({grouped(escape_sqlite(c), 'page', f'{n} as facet, ')})"
                for n, c in enumerate(columns))
            try:
                rows = await self.ds.execute(self.database, sql, self.params, truncate=False, custom_time_limit=limit_ms)
            except QueryInterrupted:
                return {}
            for column in columns:
                counted[column] = []
            for row in rows:
                counted[columns[row["facet"]]].append({"value": row["value"], "count": row["count"]})
            return counted
        for column in columns:
            try:
                rows = await self.ds.execute(self.database, grouped(escape_sqlite(column), f"({self.sql})"),
                                             self.params, truncate=False, custom_time_limit=limit_ms)
            except QueryInterrupted:
                continue
            counted[column] = [{"value": row["value"], "count": row["count"]} for row in rows]
        return counted


@hookimpl
def register_facet_classes():
    return [CountedFacet]
