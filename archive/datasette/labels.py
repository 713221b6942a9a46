"""Printed Chinese labels for the spec's codes, taken from ``parsers.model``.

Shared by the Datasette plugin (``nianbao_label()`` in SQL) and the CSV
export, so neither carries its own copy of the template's wording.
"""

from __future__ import annotations

from parsers import model


def _labels() -> dict[str, dict[str, str]]:
    applications = {
        # Numbered sub-rows read better with their group: "（三）不予公开 1.属于国家秘密".
        code: f"{group} {label}" if group and group.startswith("（") else label
        for code, (group, label) in model.APPLICATION_ROWS.items()
    }
    return {
        "applications": applications,
        "applicants": dict(model.APPLICANT_COLUMNS),
        "active_disclosure_rows": {code: printed[0] for code, (_, printed) in model.ACTIVE_DISCLOSURE_ROWS.items()},
        "active_disclosure_metrics": {code: printed[0] for code, printed in model.ACTIVE_DISCLOSURE_METRICS.items()},
        "review_groups": dict(model.REVIEW_GROUPS),
        "review_columns": dict(model.REVIEW_COLUMNS),
    }


LABELS = _labels()


def label(code: str | None) -> str | None:
    """The label of any code; row codes first, since a few codes (other, total) are also column codes."""
    if code is None:
        return None
    for kind in ("applications", "active_disclosure_rows", "review_groups", "active_disclosure_metrics",
                 "review_columns", "applicants"):
        if code in LABELS[kind]:
            return LABELS[kind][code]
    return code
