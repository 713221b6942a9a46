from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# shared/ sits beside the checkout, in development and in CI alike.
SHARED = ROOT.parent / "shared"
SEEDS = SHARED / "seeds"
SPEC = SHARED / "spec"


@pytest.fixture
def seed_text():
    """Read a seed by its number prefix: seed_text("002")."""

    def read(prefix: str) -> str:
        (path,) = SEEDS.glob(f"{prefix}_*.txt")
        return path.read_text(encoding="utf-8")

    return read
