"""Title, reporting body, year, publication date and region of a report.

Everything is read from what the document prints: the title lines before
the first section, the date line at the end (else the page's 发布日期), the
year in the title (else the 统计期限 sentence, else the year the first
section opens with). The region is the body's name placed by ``regions.locate``.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from .labels import clean_text

_TITLE_END = re.compile(r"(年度报告|年报|工作报告)$")
_YEAR_LINE = re.compile(r"^[（(]\s*(?:19|20)\d{2}\s*年度?\s*[）)]$")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_PERIOD_YEAR = re.compile(r"统计期限[^0-9。]{0,6}((?:19|20)\d{2})\s*年")
_OPENING_YEAR = re.compile(r"^\s*((?:19|20)\d{2})\s*年")
_DATE_LINE = re.compile(r"^\s*((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日\s*$")
# Official documents often close with the date in Chinese numerals: 二〇二三年一月二十八日.
_CHINESE_DATE_LINE = re.compile(r"^\s*([〇○零一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日\s*$")
_CHINESE_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"○": 0, "零": 0}
_DATE = re.compile(r"((?:19|20)\d{2})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
# The body is what precedes the year / "政府信息公开" in the title.
_ORGANIZATION = re.compile(r"^(?:(?:19|20)\d{2}年度?)?(.+?)(?:(?:19|20)\d{2}年度?)?(?:政府信息公开|政务公开)")


def read_title(lead: list[str], page_title: str | None) -> str | None:
    """The printed title: the first lines before section 一 joined until they end
    in 年度报告 (seed 002 splits it over two lines), else the page's title."""
    # A title is never a sentence: "根据《条例》…现将…年度报告予以公布。" above a scanned report is not one.
    lines = [clean_text(line) for line in lead if line.strip() and "。" not in line][:3]
    for n in range(1, len(lines) + 1):
        joined = "".join(lines[:n])
        if len(lines[n - 1]) > 60:
            break
        if _TITLE_END.search(joined):
            # "…年度报告" over "（2023年度）": the year line belongs to the title
            if n < len(lines) and _YEAR_LINE.match(lines[n]):
                joined += lines[n]
            return joined
    if page_title:
        # portal titles carry the site name: "…年度报告_聊城市人民政府"
        parts = [clean_text(p) for p in re.split(r"[_|｜]| - ", page_title)]
        return next((p for p in parts if "报告" in p), parts[0]) or None
    return lines[0] if lines else None


def read_organization(title: str | None, closing: list[str]) -> str | None:
    if title:
        match = _ORGANIZATION.match(title)
        if match and match.group(1):
            # "某区人民政府信息公开…" shares 政府 between the body and the subject
            return match.group(1) + ("政府" if match.group(1).endswith("人民") else "")
    # the signature above the closing date
    for line in reversed(closing):
        line = clean_text(line)
        if line and not is_date_line(line) and len(line) <= 30:
            return line
    return None


def read_year(title: str | None, texts: list[str], first_section: str | None) -> int | None:
    if title and (match := _YEAR.search(title)):
        return int(match.group(1))
    for text in texts:
        if match := _PERIOD_YEAR.search(text):
            return int(match.group(1))
    if first_section and (match := _OPENING_YEAR.match(first_section)):
        return int(match.group(1))
    return None


def _chinese_number(text: str) -> int:
    """一 … 三十一: 十 counts ten, alone or after a digit."""
    if "十" not in text:
        return _CHINESE_DIGITS[text]
    tens, _, ones = text.partition("十")
    return (_CHINESE_DIGITS[tens] if tens else 1) * 10 + (_CHINESE_DIGITS[ones] if ones else 0)


def date_line(line: str) -> str | None:
    """The ISO date of a line printing only a date (in digits or Chinese numerals), else None."""
    line = clean_text(line)
    if match := _DATE_LINE.match(line):
        return _iso(*match.groups())
    if match := _CHINESE_DATE_LINE.match(line):
        year, month, day = match.groups()
        try:
            year_digits = "".join(str(_CHINESE_DIGITS[c]) for c in year)
            return _iso(year_digits, str(_chinese_number(month)), str(_chinese_number(day)))
        except KeyError:  # 十 misplaced: not a date
            return None
    return None


def is_date_line(line: str) -> bool:
    """A line printing only a date, as the one closing a report."""
    return date_line(line) is not None


def _iso(year: str, month: str, day: str) -> str | None:
    try:
        return dt.date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return None


def read_published(closing: list[str], page_date: str | None) -> str | None:
    """The date line at the end of the report, else the page's 发布日期."""
    for line in reversed(closing):
        if date := date_line(line):
            return date
    if page_date and (match := _DATE.search(page_date)):
        return _iso(*match.groups())
    return None


@lru_cache(maxsize=4096)
def read_region(organization: str | None) -> str | None:
    """Province + city + county named by the body, as far as ``regions.locate`` places it unambiguously."""
    if not organization:
        return None
    from .regions import locate  # loads cpca's gazetteer: only when a region is wanted

    placed = locate(organization, None)
    parts = (placed["province"], placed["city"], placed["county"])
    return "".join(dict.fromkeys(p for p in parts if p)) or None
