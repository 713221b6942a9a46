"""Accuracy and speed of the template reader (``parsers.template.read_record``).

    python3 -m benchmarks.template_reader [--seeds 10]

Accuracy: synthetic records (both templates, one- and three-row （六）) are
rendered in every format and variant the renderer knows (text in the two
seed layouts, unruled text with the tabs turned into spaces, HTML, DOCX;
split, spaced, misprinted labels, blank cells) and read back; every table
cell read is compared with the record. Prints the share of renderings read
exactly and of cells read right, and any cell that was wrong.

Real-world quirks (``--quirks``): the quirks of published reports reproduced
on synthetic records (``nianbao.testbed.quirks``: web-page text with ``|``
between cells, rows of blank cells, one cell per line, province notes on
labels, cut and mixed headers, misprints, wrapped prose) read through
``parsers.parse_bytes``; prints each quirk's cells read right and the total.

Speed: the reader alone on already built Documents (the five real seeds and
the synthetic renderings), in Documents per second, and ``read_text`` +
``read_record`` on the seed texts.
"""

from __future__ import annotations

import argparse
import time

from parsers import parse_bytes, read_document
from nianbao.testbed.quirks import QUIRKS, render_quirk
from nianbao.testbed.synthetic import random_record, render_docx, render_html, render_text, with_blanks
from parsers.template import read_record
from parsers.text import read_text
from tests.conftest import SEEDS

SHAPES = [("2021", 3), ("2019", 1), ("2021", 1)]
VARIANTS = [
    {},
    {"split_labels": True},
    {"spaced_labels": True},
    {"typos": True},
    {"blank_cells": ["granted", ("new_received", "research"), ("review", "upheld")]},
]
RENDERINGS = {
    "text tabs": lambda r, v: read_text(render_text(r, "tabs", **v).encode("utf-8")),
    "text cells": lambda r, v: read_text(render_text(r, "cells", **v).encode("gb18030")),
    "text unruled": lambda r, v: read_text(render_text(r, "tabs", **v).replace("\t", "  ").encode("utf-8")),
    "html": lambda r, v: read_document(render_html(r, encoding="gbk", **v)),
    "docx": lambda r, v: read_document(render_docx(r, **v)),
}


def table_cells(record: dict) -> dict:
    cells = {}
    for c in record["active_disclosure"]:
        key = ("二", c["row"], c["metric"])
        # a duplicated row keeps both cells: number the repeats
        while key in cells:
            key += ("again",)
        cells[key] = c["value"]
    for section, table in (("三", record["applications"]), ("四", record["reviews_litigation"])):
        for row, values in table.items():
            for column, value in values.items():
                cells[(section, row, column)] = value
    return cells


def accuracy(seeds: int) -> list:
    documents = []
    exact = total = cells_right = cells_total = 0
    wrong: list[str] = []
    for seed in range(seeds):
        for template, other_rows in SHAPES:
            record = random_record(seed, template=template, other_rows=other_rows)
            for variant in VARIANTS:
                # unruled text cannot show a blank cell: skip that pairing
                expected = table_cells(with_blanks(record, variant.get("blank_cells", ())))
                for name, render in RENDERINGS.items():
                    if name == "text unruled" and "blank_cells" in variant:
                        continue
                    doc = render(record, variant)
                    documents.append(doc)
                    got = table_cells(read_record(doc))
                    total += 1
                    exact += got == expected
                    cells_total += len(expected)
                    for key, value in expected.items():
                        if got.get(key, "absent") == value:
                            cells_right += 1
                        elif len(wrong) < 10:
                            wrong.append(f"seed {seed} {template}/{other_rows} {name} {variant}: {key} "
                                         f"read {got.get(key, 'absent')!r}, printed {value!r}")
                    extra = set(got) - set(expected)
                    cells_total += len(extra)  # a cell read that was never printed counts as wrong
    print(f"renderings read exactly: {exact}/{total} ({100 * exact / total:.1f}%)")
    print(f"table cells read right:  {cells_right}/{cells_total} ({100 * cells_right / cells_total:.2f}%)")
    for line in wrong:
        print("  wrong:", line)
    return documents


def quirks(seeds: int) -> None:
    cells_right = cells_total = renderings = 0
    for name, quirk in QUIRKS.items():
        right = total = 0
        for seed in range(seeds):
            for template, other_rows in SHAPES:
                if template not in quirk.templates:
                    continue
                data, filename, expected = render_quirk(name, random_record(seed, template=template, other_rows=other_rows))
                got, want = table_cells(parse_bytes(data, filename=filename)), table_cells(expected)
                right += sum(got.get(key, "absent") == value for key, value in want.items())
                total += len(want) + len(set(got) - set(want))  # a cell read that was never printed is wrong
                renderings += 1
        print(f"  {name:28} {right}/{total}")
        cells_right, cells_total = cells_right + right, cells_total + total
    print(f"real-world quirks: {cells_right}/{cells_total} cells read right "
          f"({100 * cells_right / cells_total:.2f}%) over {renderings} renderings of {len(QUIRKS)} quirks")


def speed(documents: list) -> None:
    seed_texts = [path.read_bytes() for path in sorted(SEEDS.glob("*.txt"))]
    seed_documents = [read_text(data) for data in seed_texts]
    read_record(seed_documents[0])  # cpca's tables load once, on the first region
    for label, docs in (("seed Documents", seed_documents * 20), ("synthetic Documents", documents)):
        start = time.perf_counter()
        for doc in docs:
            read_record(doc)
        elapsed = time.perf_counter() - start
        print(f"read_record on {label}: {len(docs) / elapsed:.0f}/s ({1000 * elapsed / len(docs):.1f} ms each)")
    start = time.perf_counter()
    rounds = 20
    for _ in range(rounds):
        for data in seed_texts:
            read_record(read_text(data))
    elapsed = time.perf_counter() - start
    print(f"read_text + read_record on the 5 seeds: {rounds * len(seed_texts) / elapsed:.0f} reports/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10, help="synthetic records per shape (default 10)")
    parser.add_argument("--quirks", action="store_true", help="only the real-world quirks corpus")
    args = parser.parse_args()
    if args.quirks:
        quirks(args.seeds)
        return
    documents = accuracy(args.seeds)
    speed(documents)


if __name__ == "__main__":
    main()
