"""The import graph follows the data flow: nianbao (the application) → crawler → archive → parsers.

No folder imports one above it, and the product never imports the test bed
(``nianbao.testbed``), except ``nianbao demo``, which loads it when it runs.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["nianbao", "crawler", "archive", "parsers"]  # each may import only those after it
TESTBED = "nianbao.testbed"


def imports(package: str):
    """(file, imported module) for every absolute import in a package's own files."""
    for path in sorted((ROOT / package).rglob("*.py")):
        relative = path.relative_to(ROOT)
        if relative.parts[:2] == tuple(TESTBED.split(".")):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                yield from ((relative, alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                yield relative, node.module


@pytest.mark.parametrize("package", LAYERS)
def test_no_layer_imports_one_above_it(package):
    above = LAYERS[: LAYERS.index(package)]
    upward = [(str(f), m) for f, m in imports(package) if m.split(".")[0] in above]
    assert upward == []


def test_the_product_imports_the_testbed_only_for_the_demo():
    users = {str(f) for package in LAYERS for f, m in imports(package) if m.startswith(TESTBED)}
    assert users == {"nianbao/demo.py"}


def test_nothing_outside_the_storage_modules_takes_the_archive_lock_or_runs_its_sql():
    storage = {"archive/archive.py", "archive/db.py", "archive/load.py", "archive/store.py"}
    leaks = []
    for path in sorted(p for package in LAYERS for p in (ROOT / package).rglob("*.py")):
        relative = str(path.relative_to(ROOT))
        text = path.read_text(encoding="utf-8")
        if relative not in storage and (".lock:" in text or "archive.db." in text or "archive.db[" in text):
            leaks.append(relative)
    assert leaks == []
