"""A short human summary of a canonical record (``nianbao parse-file`` without ``--json``)."""

from __future__ import annotations


def _value(value) -> str:
    return "blank" if value is None else str(value)


def summary(record: dict) -> str:
    apps = record["applications"]
    reviews = record["reviews_litigation"]
    lines = [
        f"title: {record['title'] or '(none)'}",
        f"organization: {record['organization'] or '(none)'}"
        + (f" ({record['region']})" if record["region"] else ""),
        f"year: {_value(record['year'])}  published: {record['published'] or '(none)'}"
        f"  template: {record['template'] or '(none)'}",
        f"sections: {', '.join(str(s['no']) for s in record['sections']) or 'none found'}",
        f"active_disclosure: {len(record['active_disclosure'])} cells",
    ]
    if apps:
        totals = ", ".join(
            f"{row} {_value(apps[row].get('total'))}"
            for row in ("new_received", "carried_over", "results_total", "carried_forward")
            if row in apps
        )
        lines.append(f"applications: {len(apps)} rows; totals: {totals}")
    else:
        lines.append("applications: none read")
    if reviews:
        lines.append("reviews_litigation: " + ", ".join(f"{g} {_value(c.get('total'))}" for g, c in reviews.items()))
    else:
        lines.append("reviews_litigation: none read")
    failed = [c for c in record["checks"] if not c["ok"]]
    lines.append(
        f"checks: {len(record['checks']) - len(failed)} of {len(record['checks'])} passed"
        + "".join(f"\n  FAILED {c['code']}: {c['detail']}" for c in failed)
    )
    lines.append(f"warnings: {len(record['warnings'])}" + "".join(f"\n  - {w}" for w in record["warnings"]))
    return "\n".join(lines)
