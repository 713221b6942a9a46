"""Where a reporting body sits (province / city / county, GB/T 2260 code) and
what kind of body it is, from its name.

The gazetteer is cpca's (``cpca.ad_2_addr_dict``: the GB/T 2260 codes down
to county level, with coordinates) and its Aho-Corasick matcher; nothing
here is a hand-written place table. cpca itself picks the first of several
same-named places ("鼓楼区统计局" becomes 开封's 鼓楼区 although four cities
have one), so this module walks the matches itself and stops where a name
is ambiguous: a place is never guessed. What could not be placed is said in
``region_note`` (the publication lists such bodies: ``unmapped_organizations``).

    >>> locate("威海市文登区统计局", None)["region_code"]
    '371003'
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache

import cpca

GOVERNMENT = "人民政府"
DEPARTMENT = "部门"
TOWNSHIP = "乡镇街道"
OTHER = "其他"

_PROVINCE, _CITY, _COUNTY = 0, 1, 2  # cpca's AddrInfo.rank

# Statistical placeholders of GB/T 2260, not place names a body would print.
_PLACEHOLDERS = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
# Municipalities' prefecture level is such a placeholder; the city is the municipality.
_MUNICIPALITIES = {"11", "12", "31", "50"}

# A short name matched inside a smaller place's name: 中山街道 is not 中山市.
_SMALLER_PLACE_AFTER = re.compile(r"^(街道|镇|乡|村|路|大街|大道|社区|苏木)")
# A county-level name the gazetteer does not know (renamed since, e.g. 湟中县 -> 湟中区 in 2019).
_UNKNOWN_COUNTY = re.compile(r"^([\u4e00-\u9fff]{1,4}?(?:区|县|旗))")

_TOWNSHIP_NAME = re.compile(r"(街道|镇|乡|苏木)(人民政府|政府|办事处|办)?$")
_GOVERNMENT_NAME = re.compile(r"(人民政府|政府)$")
_DEPARTMENT_NAME = re.compile(
    r"(局|委员会|委|办公室|办公厅|办|厅|署|中心|院|队|所|站|处|会|部|馆|社)$"
)


@lru_cache(maxsize=1)
def _places_by_name() -> dict[str, list]:
    """Every printed form (full name and cpca's short form) -> all places so called.

    cpca's own matcher keeps only the last place per short form (吉林 -> 吉林市,
    forgetting 吉林省), so ambiguity is judged on this complete index instead.
    """
    index = defaultdict(list)
    for place in cpca.ad_2_addr_dict.values():
        if place.name in _PLACEHOLDERS:
            continue
        index[place.name].append(place)
        short = cpca.matcher._abbr_name(place.name)
        if short != place.name:
            index[short].append(place)
    return dict(index)


def _name(code: str) -> str | None:
    return cpca.adcode_name(code)


def _describe(code: str) -> dict:
    """province / city / county names for a 6-digit code, municipalities' city being themselves."""
    province = _name(code[:2])
    city = county = None
    if not code.endswith("0000"):
        city = _name(code[:4])
        if code[:2] in _MUNICIPALITIES or city in _PLACEHOLDERS:
            city = province if code[:2] in _MUNICIPALITIES else None
    if not code.endswith("00"):
        county = _name(code)
    return {"province": province, "city": city, "county": county, "region_code": code}


def _level_prefix(code: str) -> str:
    """The digits a place's subdivisions share: 37 for 370000, 3710 for 371000."""
    if code.endswith("0000"):
        return code[:2]
    return code[:4] if code.endswith("00") else code


def _full_name(code: str) -> str:
    described = _describe(code)
    parts = [described["province"], described["city"], described["county"]]
    return "".join(dict.fromkeys(p for p in parts if p))  # 北京市北京市 -> 北京市


def _match(text: str) -> tuple[str | None, str | None]:
    """(6-digit code of the smallest unambiguous place named, note or None)."""
    places = _places_by_name()
    parent = None
    end = -1
    for match in cpca.matcher.iter(text):
        if match.origin_value in _PLACEHOLDERS:
            continue
        candidates = places.get(match.origin_value, [])
        if parent is not None:
            if any(p.adcode == parent.adcode for p in candidates):
                end = match.end_index  # the same place named again (region + name): read on after it
                continue
            candidates = [p for p in candidates if p.rank > parent.rank and p.belong_to(parent)]
        if not candidates:
            continue  # a place outside the one already named: not this body's
        after = text[match.end_index + 1 :]
        if match.origin_value != candidates[0].name and _SMALLER_PLACE_AFTER.match(after):
            continue
        if len(candidates) > 1:
            where = "、".join(sorted(_full_name(p.adcode) for p in candidates))
            note = f"ambiguous: {match.origin_value} names {len(candidates)} places ({where})"
            return (parent.adcode if parent else None), note
        parent, end = candidates[0], match.end_index
        if parent.rank == _COUNTY:
            return parent.adcode, None
    if parent is None:
        return None, "no place name the gazetteer (cpca) knows"
    unknown = _UNKNOWN_COUNTY.match(text[end + 1 :])
    if unknown:
        return parent.adcode, f"{unknown.group(1)} not in the gazetteer (cpca {cpca.__version__})"
    return parent.adcode, None


def body_type(organization: str | None) -> str | None:
    """人民政府, 部门 (a working department), 乡镇街道 or 其他, from the name's ending."""
    if not organization:
        return None
    name = re.sub(r"\s+", "", organization)
    if _TOWNSHIP_NAME.search(name):
        return TOWNSHIP
    if _GOVERNMENT_NAME.search(name):
        return GOVERNMENT
    if _DEPARTMENT_NAME.search(name):
        return DEPARTMENT
    return OTHER


def locate(organization: str | None, region: str | None) -> dict:
    """Place a body from its name, helped by the region the report names.

    Returns ``province``, ``city``, ``county``, ``region_code`` (GB/T 2260,
    6 digits, of the smallest level placed), ``body_type`` and ``region_note``
    (None when the name was placed as far as it goes, else why not). The
    organization's own name wins over ``region`` (the parser's best effort)
    when they disagree.
    """
    organization = re.sub(r"\s+", "", organization or "") or None
    region = re.sub(r"\s+", "", region or "") or None
    code, note = _match(organization) if organization else (None, None)
    if region and (code is None or code.endswith("00")):
        combined, combined_note = _match(region + (organization or ""))
        # Only a refinement of what the name itself says, never a contradiction.
        if combined and (code is None or combined.startswith(_level_prefix(code))):
            code, note = combined, (note or combined_note) if combined == code else combined_note
    result = _describe(code) if code else {
        "province": None, "city": None, "county": None, "region_code": None,
    }
    result["body_type"] = body_type(organization)
    if code is None and result["body_type"] == TOWNSHIP:
        note = "township named without its county; the gazetteer (cpca) stops at county level"
    result["region_note"] = note if (organization or region) else "no organization or region printed"
    return result
