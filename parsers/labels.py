"""Label normalisation and value reading shared by the template reader.

Reports print the national template's labels with every kind of noise:
full-width or ASCII brackets and digits, spaced-out characters, labels
broken across lines or cells, and a handful of recurring typos. Everything
is compared in one normal form: NFKC (full-width → ASCII), all whitespace
and quote marks removed, typos replaced by the template's wording.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Recurring misprints seen in real reports → the template's wording. Applied
# after whitespace removal, so the keys are written without spaces.
TYPOS = {
    "结转下半年度": "结转下年度",
    "以获取信息": "已获取信息",
    "本年度止件数": "本年废止件数",
    "行政投诉": "行政诉讼",
    "其他法律法规禁止公开": "其他法律行政法规禁止公开",
    # OCR of a small or blurred 未
    "逾期末": "逾期未",
}

_QUOTES = re.compile(r"[\"'“”‘’「」『』]")
_SPACE = re.compile(r"\s+")
# "1、" and "1," used as list numbering are the template's "1."
_NUMBERING = re.compile(r"(?<![\d.])(\d)[、,](?=\D)")
# A stroke of a ruling line read with the label (OCR, or a cell clipped by its border) trails
# it as a dash or underscore; no template label ends with one.
_TRAILING_RULE = re.compile(r"[-_~—–―]+$")


# Reports repeat the same few hundred labels and values: cache their readings.
@lru_cache(maxsize=65536)
def normalise(text: str) -> str:
    """The comparable form of a printed label: '（四） 无法 提供' → '(四)无法提供'."""
    text = unicodedata.normalize("NFKC", text)
    text = _SPACE.sub("", text)
    text = _QUOTES.sub("", text)
    text = _NUMBERING.sub(r"\1.", text)
    text = _TRAILING_RULE.sub("", text)
    for wrong, right in TYPOS.items():
        text = text.replace(wrong, right)
    return text


_CJK = r"\u3000-\u303f\u3400-\u9fff\uff00-\uffef"
_SPACE_NEXT_TO_CJK = re.compile(rf"(?<=[{_CJK}\d])\s+(?=[{_CJK}])|(?<=[{_CJK}])\s+(?=[{_CJK}\d])")


def clean_text(text: str) -> str:
    """Printed text with whitespace normalised: runs collapsed to one space,
    and spaces between Chinese characters (or a digit and a character) removed,
    as PDF and Word extraction insert them ('2024 年' → '2024年')."""
    text = _SPACE.sub(" ", text.replace("\u3000", " ")).strip()
    return _SPACE_NEXT_TO_CJK.sub("", text)


# --- values ----------------------------------------------------------------------

BLANK, NUMBER, DASH, TEXT = "blank", "number", "dash", "text"

# At most 18 digits: no count is longer, and int() of thousands of digits is refused.
_NUMBER = re.compile(r"^([+-]?\d{1,18}(?:\.\d{1,18})?)(?:件|个|条|项|次|人次|万元|元)?$")
_DASHES = {"-", "--", "—", "——", "–", "―", "/", "\\"}


@lru_cache(maxsize=65536)
def read_value(text: str) -> tuple[str, int | float | None]:
    """Classify one printed cell: ``(BLANK, None)``, ``(NUMBER, n)``,
    ``(DASH, 0)`` (a dash or slash, read as 0), or ``(TEXT, None)``.

    Numbers keep their printed precision: '3' → 3, '0.50' → 0.5.
    """
    norm = _SPACE.sub("", unicodedata.normalize("NFKC", text)).replace("−", "-").replace(",", "")
    if not norm:
        return BLANK, None
    if norm in _DASHES:
        return DASH, 0
    match = _NUMBER.match(norm)
    if match is None:
        return TEXT, None
    number = match.group(1)
    return NUMBER, (float(number) if "." in number else int(number))
