"""The one template-driven reader: ``Document`` → canonical record.

The national template fixes the labels, their order and how many values
each row prints, so the reader never needs to know where a format put the
cells. It flattens the Document into one stream in reading order
(paragraph lines; table cells row by row with row ends as soft markers),
finds the six section headings among the paragraphs, and in sections 二, 三
and 四 walks the stream: label fragments accumulate until they name a
template row (after normalisation, see ``parsers.labels``), then the values
that follow are read in the template's column order. A row printing fewer
values than the template has columns is left out with a warning: a value is
never guessed into a position.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import checks, metadata
from .document import Document, Image, Paragraph, Table
from .labels import BLANK, DASH, TEXT, clean_text, normalise, read_value
from .model import (
    ACTIVE_DISCLOSURE_LAYOUT,
    ACTIVE_DISCLOSURE_METRICS,
    ACTIVE_DISCLOSURE_ROWS,
    APPLICANT_COLUMNS,
    APPLICATION_ROWS,
    OTHER_HANDLING_ROWS,
    REVIEW_COLUMNS,
    REVIEW_GROUPS,
    SCHEMA,
    SECTION_TITLES,
)

SECTION_NUMERALS = "一二三四五六"
# A label is never broken into more pieces than this; earlier fragments are headers or prose.
MAX_LABEL_FRAGMENTS = 12

# --- the stream ------------------------------------------------------------------


@dataclass
class Token:
    kind: str  # "para", "cell", "row_end" or "image"
    text: str = ""
    table: int = -1  # which table of the Document a cell or row end belongs to


def flatten(doc: Document) -> list[Token]:
    tokens: list[Token] = []
    for number, block in enumerate(doc.blocks):
        if isinstance(block, Paragraph):
            # a paragraph may hold several printed lines (HTML <br>, PDF text)
            tokens.extend(Token("para", line) for line in block.text.split("\n") if line.strip())
        elif isinstance(block, Table):
            for row in block.rows():
                tokens.extend(Token("cell", cell.text, number) for cell in row)
                tokens.append(Token("row_end", "", number))
        elif isinstance(block, Image):
            tokens.append(Token("image", block.src or block.alt))
    return tokens


# --- section headings ------------------------------------------------------------

# Words that identify each part's heading under a Chinese numeral ("三、依申请公开情况").
_HEADING_KEYS = {
    1: ("总体情况",),
    2: ("主动公开政府信息", "主动公开情况"),
    3: ("收到和处理政府信息公开申请", "依申请公开"),
    4: ("行政复议", "行政诉讼"),
    5: ("存在的主要问题", "问题及改进", "主要问题"),
    6: ("其他需要报告", "其他事项"),
}
# Under a digit ("2、") only the template's own words count: sub-items of section 一
# are often numbered "1." … "5." with words like 主动公开情况.
_STRICT_HEADING_KEYS = {
    1: ("总体情况",),
    2: ("主动公开政府信息",),
    3: ("收到和处理政府信息公开申请",),
    4: ("政府信息公开行政复议",),
    5: ("存在的主要问题",),
    6: ("其他需要报告",),
}
_NUMBER_PREFIX = re.compile(r"^(?:([一二三四五六七八九十]{1,2})|\d{1,2})[、.:]?")
_PRINTED_NUMBER = re.compile(r"^\s*(?:[一二三四五六七八九十]{1,2}|\d{1,2}|[０-９]{1,2})\s*[、.．,，:：]?\s*")


def match_heading(line: str) -> int | None:
    """The section (1..6) a paragraph line heads, by its words, or None.

    The numbering must be there but may be wrong ('2、', a second '五、'):
    the title's words decide which part it is.
    """
    norm = normalise(line)
    prefix = _NUMBER_PREFIX.match(norm)
    if not prefix or not prefix.group(0):
        return None
    rest = norm[prefix.end():]
    if not rest or len(rest) > 25 or "。" in rest:
        return None
    for no, keys in (_HEADING_KEYS if prefix.group(1) else _STRICT_HEADING_KEYS).items():
        if any(rest.startswith(key) or (key in rest and rest.endswith("情况")) for key in keys):
            return no
    return None


@dataclass
class Section:
    no: int
    title: str
    tokens: list[Token] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(t.text.strip() for t in self.tokens if t.kind == "para")

    def has_images(self) -> bool:
        return any(t.kind == "image" for t in self.tokens)


def _alone_in_row(tokens: list[Token], i: int) -> bool:
    """A table cell alone in its row: reports laid out as one big table print
    the section headings that way."""
    return (
        tokens[i].kind == "cell"
        and (i == 0 or tokens[i - 1].kind != "cell")
        and i + 1 < len(tokens)
        and tokens[i + 1].kind == "row_end"
    )


def split_sections(tokens: list[Token]) -> tuple[list[Token], list[Section]]:
    """(tokens before section 一, the sections found in document order).

    A heading numbered lower than one already found is body text (a list
    item such as "二、上年结转…" inside section 三), not a new section."""
    lead: list[Token] = []
    sections: list[Section] = []
    for i, token in enumerate(tokens):
        no = match_heading(token.text) if token.kind == "para" or _alone_in_row(tokens, i) else None
        if no is not None and no > (sections[-1].no if sections else 0):
            title = _PRINTED_NUMBER.sub("", clean_text(token.text), count=1)
            sections.append(Section(no, title))
        elif sections:
            sections[-1].tokens.append(token)
        else:
            lead.append(token)
    return lead, sections


# --- rows: label fragments followed by values -------------------------------------


@dataclass
class Row:
    labels: list[str] = field(default_factory=list)
    values: list[tuple[str, object, str]] = field(default_factory=list)  # (kind, value, printed)
    # every printed field in order, blank cells included: the row's column positions
    fields: list[str] = field(default_factory=list)

    def fields_after(self, label_norm: str) -> list[str] | None:
        """The fields printed after the (last) field reading ``label_norm``."""
        norms = [normalise(f) for f in self.fields]
        if label_norm not in norms:
            return None
        return self.fields[len(norms) - norms[::-1].index(label_norm):]

    def printed(self) -> str:
        return shown(self.values)

    def label(self) -> str:
        return clean_text("".join(self.labels))

    def has_values(self) -> bool:
        return any(kind != BLANK for kind, _, _ in self.values)


def shown(values: list, limit: int = 20) -> str:
    """Printed values as a warning names them: blanks spelt out, long runs cut."""
    texts = [p.strip() or "(blank)" for _, _, p in values[:limit]]
    return " ".join(texts) + (f" … ({len(values)} in all)" if len(values) > limit else "")


# A label spans at most three columns (section 三's group, sub-group and row label).
_LABEL_COLUMNS = 3
_YEAR_SPACE = re.compile(r"(\d)\s+(?=[年月日])")


def printed_rows(tokens: list[Token]) -> list[Row]:
    """Group the stream into printed rows: label fragments, then values.

    A row ends at a table row end or where text follows values. Blank cells
    before or between label fragments are the label's merged columns and
    are dropped. Paragraph lines other than sentences are split into
    whitespace-separated fields: text extracted from an unruled PDF prints a
    table row as '规章 0 0 0'.
    """
    rows: list[Row] = []
    row = Row()

    def close():
        nonlocal row
        if row.labels or row.has_values():
            rows.append(row)
        row = Row()

    for token in tokens:
        if token.kind == "row_end":
            close()
            continue
        if token.kind == "image":
            continue
        fields = [token.text]
        if token.kind == "para" and "。" not in token.text:  # a sentence is prose, whatever numbers it mentions
            # a year is prose too: a wrapped sentence's first line '2020 年,我单位…' prints no 。
            fields = _YEAR_SPACE.sub(r"\1", token.text).split()
        for text in fields:
            kind, value = read_value(text)
            if kind == TEXT:
                # A row printed all blank, where no row end follows it (text exported one cell
                # per line): more blanks than a label's merged columns end the row.
                if row.has_values() or len(row.values) >= _LABEL_COLUMNS:
                    close()
                row.values.clear()
                row.labels.append(text)
            else:
                row.values.append((kind, value, text))
            row.fields.append(text)
    close()
    return rows


def fit(values: list, width: int) -> list | None:
    """The row's values for ``width`` columns: surplus blank cells at the ends
    (merged label columns, grid padding) are dropped; otherwise None."""
    values = list(values)
    while len(values) > width and values[-1][0] == BLANK:
        values.pop()
    while len(values) > width and values[0][0] == BLANK:
        values.pop(0)
    return values if len(values) == width else None


class Reader:
    """Reads one Document; collects warnings as it goes."""

    def __init__(self, doc: Document):
        self.warnings: list[str] = list(doc.warnings)

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def cell_value(self, where: str, kind: str, value, printed: str):
        if kind == DASH:
            self.warn(f"{where}: printed {printed.strip()!r}, read as 0")
        return value

    # --- section 二 -------------------------------------------------------------

    def active_disclosure(self, rows: list[Row]) -> tuple[list[dict], str | None]:
        template = detect_template(rows)
        cells: list[dict] = []
        seen: set[str] = set()
        empty = not any(row.values for row in rows)
        item, headers, header_fields = None, None, None
        for row in rows:
            norms = [normalise(label) for label in row.labels if label.strip()]
            # One printed row may carry the item, the header row and a row label:
            # text extracted without row ends runs them together.
            for match in _ITEM.finditer("".join(norms)):
                item, headers, header_fields = _ITEM_NUMBERS.get(match.group(1)), None, None
            if "信息内容" in norms:
                headers = self.read_headers(norms[norms.index("信息内容") + 1 :])
                header_fields = row.fields_after("信息内容")
            code = active_row_code(norms)
            if not row.values and empty:
                continue  # a label of a table printed without cells: the section's warning says so
            if code is None:
                if row.has_values():
                    self.warn(f"section 二: label {row.label()!r} not recognised; values {row.printed()} left out")
                continue
            row_item = ACTIVE_DISCLOSURE_ROWS[code][0]
            columns = aligned_columns(header_fields, row) or self.active_columns(
                code, row, template, row_item if item is None else item, headers, header_fields
            )
            if columns is None:
                continue
            if code in seen:
                self.warn(f"section 二: row {row.label()} ({code}) printed twice; both kept in document order")
            seen.add(code)
            for metric, (kind, value, printed) in columns:
                value = self.cell_value(f"section 二 {code}.{metric}", kind, value, printed)
                cells.append({"item": row_item, "row": code, "metric": metric, "value": value})
        return cells, template

    def read_headers(self, fragments: list[str]) -> list[str | None]:
        """Metric codes of the printed column headers (None where not recognised),
        joining fragments of a header broken over lines; stops at a row label."""
        headers, buffer = [], ""

        def cut_short():
            # a header cut by its narrow cell ('本年增/' over 本年增/减): the one metric it
            # begins, else not recognised ('本年新' begins two headers)
            metric = metric_of_prefix(buffer)
            if metric is None:
                self.warn(f"section 二: column header {buffer!r} not recognised")
            else:
                self.warn(f"section 二: column header {buffer!r} cut short; read as the only header it begins ({metric})")
            headers.append(metric)

        for fragment in fragments:
            if fragment in _ACTIVE_ROW_BY_LABEL or without_notes(fragment) in _ACTIVE_ROW_BY_LABEL:
                break
            if not buffer and headers and not without_notes(fragment):
                continue  # a note printed on its own line under the header it explains
            if (buffer and not metric_of(buffer + fragment) and not is_header_prefix(buffer + fragment)
                    and (metric_of(fragment) or is_header_prefix(fragment))):
                cut_short()
                buffer = ""
            buffer += fragment
            if metric_of(buffer):
                headers.append(metric_of(buffer))
                buffer = ""
        if buffer:
            cut_short()
        return headers

    def active_columns(self, code, row, template, item, headers, header_fields):
        """The row's (metric, value) pairs by the printed headers, else by the
        template's columns; None (with a warning) when neither fits."""
        layout = ACTIVE_DISCLOSURE_LAYOUT.get(template or "", {}).get(item)
        template_columns = list(layout[1]) if layout else None
        if headers and None not in headers and (values := fit(row.values, len(headers))):
            return list(zip(headers, values))
        if template_columns and (values := fit(row.values, len(template_columns))):
            placed = positional_headers(header_fields, row)
            if placed and len(placed) == len(template_columns) and any(
                metric is not None and metric != column for metric, column in zip(placed, template_columns)
            ):
                # seed 001's 20(8): 本年增/减 printed over the third value, the template's third
                # column is 本年收费金额 — which value is which cannot be told
                self.warn(
                    f"section 二: row {row.label()} ({code}) prints {len(values)} values [{row.printed()}] "
                    f"whose printed headers ({', '.join(m or '(blank)' for m in placed)}) contradict the "
                    f"{template} template's columns ({', '.join(template_columns)}); left out"
                )
                return None
            if headers and headers != template_columns:
                self.warn(
                    f"section 二: {item} printed headers ({', '.join(str(h) for h in headers)}) do not match "
                    f"the {len(values)} values of {row.label()}; read in the {template} template's order "
                    f"({', '.join(template_columns)})"
                )
            return list(zip(template_columns, values))
        width = len(headers) if headers else len(template_columns or ())
        self.warn(
            f"section 二: row {row.label()} ({code}) prints {len(row.values)} values "
            f"[{row.printed()}] for {width or 'unknown'} columns; left out"
        )
        return None

    # --- section 三 -------------------------------------------------------------

    def applications(self, rows: list[Row]) -> dict:
        table: dict[str, dict] = {}
        group = None
        width = len(APPLICANT_COLUMNS)
        empty = not any(row.values for row in rows)
        for row in rows:
            code, group = resolve_application_row(row.labels, group)
            if not row.values and empty:
                continue  # a label of a table printed without cells: the section's warning says so
            if code is None:
                if row.has_values():
                    self.warn(f"section 三: label {row.label()!r} not recognised; values {row.printed()} left out")
                continue
            values = fit(row.values, width)
            if values is None:
                self.warn(
                    f"section 三: row {row.label()} ({code}) prints {len(row.values)} values "
                    f"[{row.printed()}] for {width} columns; left out"
                )
                continue
            if code in table:
                self.warn(f"section 三: row {row.label()} ({code}) printed twice; the first kept")
                continue
            table[code] = {
                column: self.cell_value(f"section 三 {code}.{column}", kind, value, printed)
                for column, (kind, value, printed) in zip(APPLICANT_COLUMNS, values)
            }
        if "other" in table and any(code in table for code in OTHER_HANDLING_ROWS):
            self.warn("section 三: （六）其他处理 printed both as one row and as three rows")
        return table

    # --- section 四 -------------------------------------------------------------

    def reviews_litigation(self, rows: list[Row]) -> dict:
        width = len(REVIEW_GROUPS) * len(REVIEW_COLUMNS)
        printed = [v for row in rows for v in row.values if v[0] != BLANK]
        if len(printed) != width:
            # one row of values with some cells printed blank: those are null
            with_values = [row for row in rows if row.has_values()]
            printed = fit(with_values[0].values, width) if len(with_values) == 1 else None
        if printed is None:
            values = [v for row in rows for v in row.values if v[0] != BLANK]
            if values:
                self.warn(
                    f"section 四: {len(values)} values printed for the {width} cells "
                    f"[{shown(values)}]; left out"
                )
            return {}
        cells = iter(printed)
        out = {}
        for group in REVIEW_GROUPS:
            out[group] = {}
            for column in REVIEW_COLUMNS:
                kind, value, text = next(cells)
                out[group][column] = self.cell_value(f"section 四 {group}.{column}", kind, value, text)
        return out


# --- section 二 tables ------------------------------------------------------------

_ITEM = re.compile(r"第二十条第\(([一二三四五六七八九十]+)\)项")
_ITEM_NUMBERS = {"一": "20(1)", "五": "20(5)", "六": "20(6)", "八": "20(8)", "九": "20(9)"}
_ACTIVE_ROW_BY_LABEL = {
    normalise(label): code for code, (_, labels) in ACTIVE_DISCLOSURE_ROWS.items() for label in labels
}
_METRIC_BY_HEADER = {
    normalise(header): metric for metric, headers in ACTIVE_DISCLOSURE_METRICS.items() for header in headers
}
_METRIC_BY_UNBRACKETED = {header.replace("(", "").replace(")", ""): metric for header, metric in _METRIC_BY_HEADER.items()}


def is_header_prefix(text: str) -> bool:
    return any(known.startswith(text) for known in _METRIC_BY_HEADER)


def metric_of_prefix(header: str) -> str | None:
    """The metric of every known header that ``header`` (three or more characters)
    begins, where they all name one metric; else None."""
    if len(header) < 3:
        return None
    metrics = {metric for known, metric in _METRIC_BY_HEADER.items() if known.startswith(header)}
    return metrics.pop() if len(metrics) == 1 else None


def metric_of(header: str) -> str | None:
    """The metric a normalised column header names; a header of five or more
    characters with one character misread (OCR: 本年座止件数) names the one
    known header it differs from (a header cut short is not taken: the rest
    may follow in the next fragment)."""
    if header in _METRIC_BY_HEADER:
        return _METRIC_BY_HEADER[header]
    if (bare := without_notes(header)) != header and bare in _METRIC_BY_HEADER:
        return _METRIC_BY_HEADER[bare]
    if (unbracketed := header.replace("(", "").replace(")", "")) in _METRIC_BY_UNBRACKETED:
        return _METRIC_BY_UNBRACKETED[unbracketed]  # 本年收费金额单位:万元: the brackets lost
    if len(header) < 5:
        return None
    near = {
        metric
        for known, metric in _METRIC_BY_HEADER.items()
        if len(known) == len(header) and _one_edit_apart(header, known)
    }
    return near.pop() if len(near) == 1 else None


def positional_headers(header_fields: list[str] | None, row: Row) -> list[str | None] | None:
    """The metric printed over each of the row's value cells (None over a blank
    header cell), where the header row and the value row print as many cells."""
    label = next((normalise(l) for l in reversed(row.labels) if l.strip()), None)
    value_fields = row.fields_after(label) if label else None
    if not header_fields or value_fields is None or len(header_fields) != len(value_fields):
        return None
    return [metric_of(normalise(h)) if h.strip() else None for h in header_fields]


def aligned_columns(header_fields: list[str] | None, row: Row) -> list | None:
    """Values read under the printed headers position by position, where the
    header row and the value row print the same number of cells (a grid): a
    blank under a blank header is the rest of a merged cell. None when the
    positions do not line up (a value under no header, an unknown header)."""
    label = next((normalise(l) for l in reversed(row.labels) if l.strip()), None)
    value_fields = row.fields_after(label) if label else None
    if not header_fields or value_fields is None or len(header_fields) != len(value_fields):
        return None
    columns = []
    for header, printed in zip(header_fields, value_fields):
        kind, value = read_value(printed)
        if not header.strip():
            if kind != BLANK:
                return None
            continue
        metric = metric_of(normalise(header))
        if metric is None or kind == TEXT:
            return None
        columns.append((metric, (kind, value, printed)))
    return columns or None


def active_row_code(norms: list[str]) -> str | None:
    """The row label ending a run of fragments ('行政', '规范性文件' → normative_documents);
    a label carrying the province's explanatory note ('规章(设区的市…应提供相关数据)') is
    its label."""
    for start in range(max(0, len(norms) - MAX_LABEL_FRAGMENTS), len(norms)):
        label = "".join(norms[start:])
        if code := _ACTIVE_ROW_BY_LABEL.get(label) or _ACTIVE_ROW_BY_LABEL.get(without_notes(label)):
            return code
    return None


_NOTE = re.compile(r"\([^()]*\)")


def without_notes(label: str) -> str:
    """A normalised label without its parenthesised notes: '本年增/减(指2020年增加或减少的
    事项数,减用负值表示,如-8)' → '本年增/减'."""
    return _NOTE.sub("", label)


# Printed headers and rows that only one template has.
_TEMPLATE_MARKS = {
    **{normalise(h): "2021" for h in ("本年制发件数", "本年废止件数", "现行有效件数", "本年处理决定数量")},
    **{
        normalise(h): "2019"
        for h in (
            "本年新制作数量", "本年新公开数量", "对外公开总数量", "处理决定数量",
            "上一年项目数量", "本年增/减", "本年增/减量", "采购项目数量", "采购总金额",
            "其他对外管理服务事项", "政府集中采购",
        )
    },
}


def detect_template(rows: list[Row]) -> str | None:
    """"2021" or "2019" by the headers and rows only one template prints; else by
    how many values the 20(5)/20(6) rows print (1 in 2021, 3 in 2019)."""
    votes = {"2021": 0, "2019": 0}
    for row in rows:
        for label in row.labels:
            if mark := _TEMPLATE_MARKS.get(normalise(label)):
                votes[mark] += 1
    if votes["2021"] != votes["2019"]:
        return max(votes, key=votes.get)
    for row in rows:
        code = active_row_code([normalise(label) for label in row.labels if label.strip()])
        if code in ("licensing", "penalty", "coercion"):
            width = len([v for v in row.values if v[0] != BLANK])
            return {1: "2021", 3: "2019"}.get(width)
    return None


# --- section 三 labels ------------------------------------------------------------

_APP_GROUPS = {normalise(g) for g, _ in APPLICATION_ROWS.values() if g}
_GROUP_NUMBER = re.compile(r"^\(([一二三四五六七])\)")
_LABEL_NUMBER = re.compile(r"^(?:\d+\.|\([一二三四五六七]\)|[一二三四]、)")
# The numbers of rows outside the groups: 一、 二、 四、 and （一）（二）（六）（七）.
_OWN_NUMBER = re.compile(r"^(?:[一二四]、|\([一二六七]\))")
_APP_ROW_BY_LABEL = {normalise(label): code for code, (_, label) in APPLICATION_ROWS.items()}
_APP_ROWS_IN_GROUP: dict[str, list[tuple[str, str]]] = {}
for _code, (_group, _label) in APPLICATION_ROWS.items():
    if _group:
        _APP_ROWS_IN_GROUP.setdefault(normalise(_group), []).append((_code, normalise(_label)))


def _strip_group(text: str, group: str | None) -> tuple[str, str | None]:
    """Consume leading group labels ('三、本年度办理结果', '(四)无法提供', or only
    its number '(四)' as seed 001 prints it)."""
    changed = True
    while changed and text:
        changed = False
        for label in _APP_GROUPS:
            if text.startswith(label):
                text, group, changed = text[len(label):], label, True
                break
        else:
            number = _GROUP_NUMBER.match(text)
            if number:
                owner = next((g for g in _APP_GROUPS if g.startswith(number.group(0))), None)
                if owner:
                    text, group, changed = text[number.end():], owner, True
                    # the group's name cut short: a merged cell printed one character
                    # per line and broken by a page, the rest printed further down
                    name = owner[number.end():]
                    cut = next((k for k in range(len(name), 0, -1) if text.startswith(name[:k])), 0)
                    text = text[cut:]
    return text, group


def match_application_label(text: str, group: str | None) -> tuple[str | None, str | None]:
    """(row code or None, group in force) for one normalised label."""
    if text in _APP_ROW_BY_LABEL:
        code = _APP_ROW_BY_LABEL[text]
        return code, (normalise(APPLICATION_ROWS[code][0]) if APPLICATION_ROWS[code][0] else group)
    text, group = _strip_group(text, group)
    if not text:
        return None, group
    if text in _APP_ROW_BY_LABEL:
        return _APP_ROW_BY_LABEL[text], group
    members = _APP_ROWS_IN_GROUP.get(group or "", [])
    bare = _LABEL_NUMBER.sub("", text)
    # the label without its number, within the group in force
    same = [code for code, label in members if _LABEL_NUMBER.sub("", label) == bare]
    if len(same) == 1:
        return same[0], group
    # a unique beginning within the group (seed 001: '1.本机关' …)
    if len(text) >= 4:
        starts = [code for code, label in members if label.startswith(text)]
        if len(starts) == 1:
            return starts[0], group
    # a numbered label of its own cut short: its tail wrapped below the values
    # ('二、上年结转政府信息公开申请数' | 0 0 … | '量'); the tail is then a leading
    # fragment of the next row, which names nothing and is dropped there
    if _OWN_NUMBER.match(text) and len(text) >= 6:
        starts = [code for label, code in _APP_ROW_BY_LABEL.items() if label.startswith(text)]
        if len(starts) == 1:
            return starts[0], _group_of(starts[0], group)
    # one character misread, dropped or added (OCR: 大童反复 for 大量反复) in a
    # long label that no other label is as close to
    if len(text) >= 8:
        near = {code for label, code in _APP_ROW_BY_LABEL.items() if _one_edit_apart(text, label)}
        near |= {code for code, label in members if _one_edit_apart(text, label)}
        if len(near) == 1:
            code = near.pop()
            return code, _group_of(code, group)
    return None, group


def _one_edit_apart(a: str, b: str) -> bool:
    """Equal but for one substituted, inserted or deleted character."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) == 1
    short, long = (a, b) if len(a) < len(b) else (b, a)
    k = next((i for i, (x, y) in enumerate(zip(short, long)) if x != y), len(short))
    return short[k:] == long[k + 1 :]


def _group_of(code: str, group: str | None) -> str | None:
    printed = APPLICATION_ROWS[code][0]
    return normalise(printed) if printed else group


def resolve_application_row(labels: list[str], group: str | None) -> tuple[str | None, str | None]:
    """The row a run of label fragments names. Leading fragments that name
    nothing (table headers, the tail of a label split across rows) are dropped."""
    norms = [normalise(label) for label in labels if label.strip()]
    for start in range(max(0, len(norms) - MAX_LABEL_FRAGMENTS), len(norms)):
        code, found_group = match_application_label("".join(norms[start:]), group)
        if code:
            return code, found_group
    for norm in norms:
        _, group = match_application_label(norm, group)
    return None, group


def drop_signature(section: Section) -> None:
    """The body's name and the date closing the report belong to no section's text."""
    paras = [i for i, t in enumerate(section.tokens) if t.kind == "para"]
    if not paras or not metadata.is_date_line(section.tokens[paras[-1]].text):
        return
    drop = [paras[-1]]
    if len(paras) > 1:
        signature = section.tokens[paras[-2]].text.strip()
        if len(signature) <= 30 and not signature.endswith(("。", "；", ";")):
            drop.append(paras[-2])
    section.tokens = [t for i, t in enumerate(section.tokens) if i not in drop]


# --- the record --------------------------------------------------------------------


def section_name(no: int) -> str:
    return f"section {SECTION_NUMERALS[no - 1]} ({SECTION_TITLES[no]})"


# What only each section's table prints: reports that append their tables
# (统计附表) after section 六 are read by these.
_TABLE_SIGNATURES = {2: "第二十条第", 3: "本年新收政府信息公开申请数量", 4: "复议后起诉"}
# What a section's table prints even when its cells are all empty.
_PRINTED_EMPTY = {2: "第二十条第", 3: "本年新收政府信息公开申请数量", 4: "尚未审结"}


def tables_elsewhere(tokens: list[Token], claimed: set[int]) -> dict[int, list[Token]]:
    """Tables outside sections 二–四, by the section whose signature they print."""
    tables: dict[int, list[Token]] = {}
    for token in tokens:
        if token.table >= 0 and token.table not in claimed:
            tables.setdefault(token.table, []).append(token)
    found: dict[int, list[Token]] = {}
    for table_tokens in tables.values():
        text = normalise("".join(t.text for t in table_tokens))
        for no, signature in _TABLE_SIGNATURES.items():
            if no not in found and signature in text:
                found[no] = table_tokens
                break
    return found


def read_record(doc: Document) -> dict:
    reader = Reader(doc)
    tokens = flatten(doc)
    lead, sections = split_sections(tokens)
    by_no = {section.no: section for section in sections}
    missing = [SECTION_NUMERALS[no - 1] for no in SECTION_TITLES if no not in by_no]
    if missing:
        reader.warn(f"sections not found: {'、'.join(missing)}")

    tokens_of = {no: by_no[no].tokens if no in by_no else [] for no in (2, 3, 4)}
    rows = {no: printed_rows(tokens_of[no]) for no in (2, 3, 4)}
    empty = [no for no in (2, 3, 4) if not any(row.has_values() for row in rows[no])]
    if empty:
        claimed = {t.table for no in (2, 3, 4) for t in tokens_of[no]}
        elsewhere = tables_elsewhere(tokens, claimed)
        for no in empty:
            if no in elsewhere:
                rows[no] = printed_rows(elsewhere[no])
                reader.warn(f"{section_name(no)}: its table is printed elsewhere (an appended table); read from there")
    active, template = reader.active_disclosure(rows[2])
    applications = reader.applications(rows[3])
    reviews = reader.reviews_litigation(rows[4])
    for no, found in ((2, active), (3, applications), (4, reviews)):
        # values printed but none placed: the rows' own warnings say why
        if found or no not in by_no or any(row.has_values() for row in rows[no]):
            continue
        name = section_name(no)
        if by_no[no].has_images():
            reader.warn(f"{name}: the table is an image; no values read")
        elif _PRINTED_EMPTY[no] in normalise("".join(t.text for t in tokens_of[no])):
            reader.warn(f"{name}: the table is printed without values (every cell empty); no values read")
        else:
            reader.warn(f"{name}: no table found; no values read")

    lead_lines = [t.text for t in lead if t.kind == "para"]
    closing = [t.text for t in (sections[-1].tokens if sections else lead) if t.kind == "para"][-3:]
    if sections:
        drop_signature(sections[-1])
    title = metadata.read_title(lead_lines, doc.page_title)
    organization = metadata.read_organization(title, closing)
    year = metadata.read_year(title, lead_lines, by_no[1].text if 1 in by_no else None)
    record = {
        "schema": SCHEMA,
        "title": title,
        "organization": organization,
        "region": metadata.read_region(organization),
        "year": year,
        "published": metadata.read_published(closing, doc.page_date),
        "template": template if active else None,
        "sections": [{"no": s.no, "title": s.title, "text": s.text} for s in sections],
        "active_disclosure": active,
        "applications": applications,
        "reviews_litigation": reviews,
        "checks": [],
        "warnings": reader.warnings,
    }
    record["checks"] = checks.run_checks(record)
    return record
