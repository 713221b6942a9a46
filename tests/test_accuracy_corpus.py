"""Cell accuracy per format over the accuracy corpus (``tests/corpus.py``).

A few documents per format keep this bounded; ``python3 -m benchmarks.formats``
runs a larger corpus. Targets: >= 99.5% of table cells exact on text formats,
>= 98% on scans and image tables.
"""

import pytest

from tests import corpus

TARGETS = {"pdf": 0.995, "doc": 0.995, "scan": 0.98, "docx_images": 0.98, "html_images": 0.98, "html_images_degraded": 0.98}
SIZES = {"pdf": 2, "doc": 1, "scan": 1, "docx_images": 1, "html_images": 1, "html_images_degraded": 1}


@pytest.mark.slow
@pytest.mark.parametrize("fmt", list(TARGETS))
def test_cell_accuracy_meets_the_target(fmt, tmp_path):
    correct = total = 0
    misses = []
    for sample in corpus.samples(fmt, SIZES[fmt], tmp_path, seed=20):
        record = corpus.read(sample)
        ok, count, missed = corpus.score(sample.record, record)
        correct, total = correct + ok, total + count
        misses += [f"{sample.name}: {m}" for m in missed]
        # Where the tables came from OCR, the record says so.
        if fmt in ("scan", "docx_images", "html_images", "html_images_degraded"):
            assert any("text read by OCR" in w for w in record["warnings"])
    assert total > 150 * SIZES[fmt]
    assert correct / total >= TARGETS[fmt], misses
