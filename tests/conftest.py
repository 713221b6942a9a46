import sqlite3
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# shared/ sits beside the checkout, in development and in CI alike.
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"
SPEC = SHARED / "spec"
# The installed console script beside the Python running the tests (a venv's bin/),
# whatever PATH says, so the tests exercise this checkout's install.
NIANBAO = shutil.which("nianbao", path=str(Path(sys.executable).parent))


@pytest.fixture(autouse=True)
def _own_workspace():
    """A command run in this process (CliRunner) points tempfile and the cache dir into its data
    dir; the next test starts from the usual ones again."""
    yield
    from archive import workspace

    workspace.leave()


@pytest.fixture
def seed_text():
    """Read a seed by its number prefix: seed_text("002")."""

    def read(prefix: str) -> str:
        (path,) = SEEDS.glob(f"{prefix}_*.txt")
        return path.read_text(encoding="utf-8")

    return read


@pytest.fixture(scope="module")
def sample_archive(tmp_path_factory):
    """A data directory holding ``nianbao.demo``'s sample reports (originals and
    ``nianbao.db``), built once per test module."""
    from nianbao.testbed.sample import load_sample_reports

    data_dir = tmp_path_factory.mktemp("sample-archive")
    load_sample_reports(data_dir)
    return data_dir


@pytest.fixture(scope="module")
def sample_db(sample_archive):
    """The sample archive's database, rows readable by column name."""
    conn = sqlite3.connect(sample_archive / "nianbao.db")
    conn.row_factory = sqlite3.Row
    yield conn
    conn.close()
