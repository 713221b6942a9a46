"""One record from several candidate documents of one report.

A report may come as a page and its attachments, or as the members of a ZIP.
Usually one candidate holds the whole report and the one with the most table
values wins. Some bodies split it: the text on the page (or in a DOCX), the
tables in an attached spreadsheet or PDF (统计表.xls). When the candidate with
the most table values prints next to no prose, and another prints the
report's text, the record takes its text and metadata from that one and its
tables from the first, and the warnings say so. Candidates that name
different years are never merged.

Pure functions on canonical records: no I/O, nothing of the archive.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from .checks import run_checks

# Characters of section text below which a candidate is "tables only" (a
# spreadsheet's headings), and above which one is a report's text.
MIN_PROSE = 200
_TABLE_KEYS = ("template", "active_disclosure", "applications", "reviews_litigation")
_METADATA_KEYS = ("title", "organization", "region", "year", "published")
# Warnings that the other candidate answers: the text's missing tables, the tables' missing sections.
_ANSWERED_BY_TABLES = (": no table found; no values read", ": the table is an image; no values read")
_ANSWERED_BY_TEXT = ("sections not found",)


def table_values(record: dict) -> int:
    """How many table cells the record read (blank cells do not count)."""
    count = sum(cell.get("value") is not None for cell in record.get("active_disclosure") or [])
    for table in ("applications", "reviews_litigation"):
        for row in (record.get(table) or {}).values():
            values = list(row.values())
            count += len(values) - values.count(None)  # counted in C: a report has 200 cells
    return count


def prose_length(record: dict) -> int:
    return sum(len(section.get("text") or "") for section in record.get("sections") or [])


@dataclass
class Choice:
    """The record to keep: ``tables_from`` indexes the candidate with the most table
    values; ``text_from`` the candidate whose text and metadata were merged in, if any."""

    record: dict
    tables_from: int
    text_from: int | None = None
    notes: list[str] = field(default_factory=list)


def choose(candidates: list[tuple[str, dict]]) -> Choice:
    """The best record of ``(label, record)`` candidates (at least one), merged where the
    report is split over two of them. On a tie in table values the earlier one wins."""
    values = [table_values(record) for _, record in candidates]
    best = max(range(len(candidates)), key=lambda i: (values[i], -i))
    label, record = candidates[best]
    if values[best] == 0 or prose_length(record) >= MIN_PROSE:
        return Choice(record, best)
    texts = [
        i for i, (_, other) in enumerate(candidates)
        if i != best and prose_length(other) >= MIN_PROSE
    ]  # fmt: skip
    if not texts:
        return Choice(record, best)
    text = max(texts, key=lambda i: (prose_length(candidates[i][1]), -i))
    text_label, text_record = candidates[text]
    if record.get("year") and text_record.get("year") and record["year"] != text_record["year"]:
        return Choice(record, best, notes=[
            f"{label} prints the tables and {text_label} the text, but they name different years "
            f"({record['year']}, {text_record['year']}); not merged"
        ])  # fmt: skip
    merged = merge(text_record, record, text_label=text_label, tables_label=label)
    return Choice(merged, best, text, notes=[])


def merge(text: dict, tables: dict, *, text_label: str, tables_label: str) -> dict:
    """The record of a report split over two documents: sections and metadata from
    ``text`` (metadata it lacks from ``tables``), the tables from ``tables``, checks
    computed again on the whole (so ``text_vs_table`` compares one's prose with the
    other's table)."""
    merged = copy.deepcopy(text)
    for key in _TABLE_KEYS:
        merged[key] = copy.deepcopy(tables.get(key))
    filled = []
    for key in _METADATA_KEYS:
        if merged.get(key) is None and tables.get(key) is not None:
            merged[key] = tables[key]
            filled.append(key)
    warnings = [
        f"report split over two documents: text and metadata from {text_label}, tables from {tables_label}"
        + (f" ({', '.join(filled)} from the tables' document)" if filled else "")
    ]
    warnings += [w for w in text.get("warnings") or [] if not w.endswith(_ANSWERED_BY_TABLES)]
    warnings += [
        f"{tables_label}: {w}" for w in tables.get("warnings") or [] if not w.startswith(_ANSWERED_BY_TEXT)
    ]
    merged["warnings"] = warnings
    merged["checks"] = run_checks(merged)
    return merged
