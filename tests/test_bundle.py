"""Bundle export (DB snapshot + originals + SHA256SUMS) and verify, which catches a flipped byte."""

import os
import sqlite3
import subprocess

import pytest

from archive import Archive
from archive.bundle import export_bundle, verify


@pytest.fixture
def archive(tmp_path):
    with Archive(tmp_path / "data") as archive:
        for n in range(3):
            archive.record_fetch(url=f"http://127.0.0.1/{n}.pdf", status=200, body=f"%PDF original {n}".encode())
        yield archive


def flip_a_byte(path):
    os.chmod(path, 0o644)
    data = bytearray(path.read_bytes())
    data[3] ^= 0x01
    path.write_bytes(bytes(data))


def test_bundle_is_a_consistent_data_dir_with_a_manifest(archive, tmp_path):
    bundle = tmp_path / "bundle"
    assert export_bundle(archive, bundle) == 3

    assert {p.name for p in bundle.iterdir()} == {"nianbao.db", "originals", "SHA256SUMS"}
    snapshot = sqlite3.connect(bundle / "nianbao.db")
    assert snapshot.execute("SELECT COUNT(*) FROM fetches").fetchone() == (3,)
    assert snapshot.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    snapshot.close()
    # The manifest is the standard format: sha256sum checks it without nianbao.
    check = subprocess.run(["sha256sum", "--check", "--quiet", "SHA256SUMS"], cwd=bundle, capture_output=True)
    assert check.returncode == 0, check.stdout + check.stderr
    result = verify(bundle)
    assert result.ok and result.checked == 3


def test_verify_catches_a_flipped_byte_in_the_store(archive):
    assert verify(archive.data_dir).ok
    damaged = next(iter(archive.store))
    flip_a_byte(archive.store.path_for(damaged))

    result = verify(archive.data_dir)
    assert not result.ok
    assert result.problems == [f"originals: {damaged} is damaged (its content hashes to "
                               f"{archive.store.hash_file(damaged)})"]


def test_verify_catches_a_flipped_byte_in_a_bundle_and_a_missing_original(archive, tmp_path):
    bundle = tmp_path / "bundle"
    export_bundle(archive, bundle)
    first, second = list(archive.store)[:2]
    flip_a_byte(bundle / "originals" / first[:2] / first[2:4] / first)
    os.remove(bundle / "originals" / second[:2] / second[2:4] / second)

    problems = verify(bundle).problems
    assert any(first in p and "damaged" in p for p in problems)
    assert any(second in p and "missing from the store" in p for p in problems)
    assert any("SHA256SUMS" in p and first in p for p in problems)


def test_verify_catches_a_damaged_database(archive, tmp_path):
    bundle = tmp_path / "bundle"
    export_bundle(archive, bundle)
    db = bundle / "nianbao.db"
    data = bytearray(db.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)  # wreck the first page after the header
    db.write_bytes(bytes(data))
    problems = verify(bundle).problems
    assert any(p.startswith("database:") for p in problems)


def test_export_refuses_a_non_empty_folder(archive, tmp_path):
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not empty"):
        export_bundle(archive, tmp_path / "busy")
    assert (tmp_path / "busy" / "keep.txt").read_text() == "mine"


def test_a_bundle_can_be_published_as_it_is(archive, tmp_path):
    import asyncio

    from nianbao.serve import build_datasette

    bundle = tmp_path / "bundle"
    export_bundle(archive, bundle)
    sha256 = next(iter(archive.store))
    datasette = build_datasette(bundle / "nianbao.db", bundle / "originals")

    async def fetch(path):
        return await datasette.client.get(path)

    fetches = asyncio.run(fetch("/nianbao/fetches.json?_shape=array"))
    assert fetches.status_code == 200 and len(fetches.json()) == 3
    assert sha256 in {row["sha256"] for row in fetches.json()}
