"""The store of originals: content addressing, dedupe, streaming, atomic publication."""

import hashlib
import io
import os
import time

import pytest

from archive.store import TEMP_FILE_EXPIRY, BodyTooLarge, Store


def test_put_bytes_files_by_sha256_and_dedupes(tmp_path):
    store = Store(tmp_path / "originals")
    data = "聊城市统计局2022年政府信息公开工作年度报告".encode()
    digest = hashlib.sha256(data).hexdigest()

    first = store.put_bytes(data)
    second = store.put_bytes(data)

    assert first.sha256 == second.sha256 == digest
    assert (first.new, second.new) == (True, False)
    assert store.path_for(digest) == tmp_path / "originals" / digest[:2] / digest[2:4] / digest
    assert store.read_bytes(digest) == data
    assert list(store) == [digest]


def test_put_stream_reads_in_chunks_and_matches_put_bytes(tmp_path):
    store = Store(tmp_path)
    data = os.urandom(3 * (1 << 20) + 17)  # spans several chunks

    stored = store.put_stream(io.BytesIO(data))

    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.size == len(data)
    assert store.put_bytes(data).new is False
    assert store.temp_files() == []


def test_stream_over_the_cap_is_refused_and_leaves_nothing(tmp_path):
    store = Store(tmp_path)
    with pytest.raises(BodyTooLarge, match="cap"):
        store.put_stream(io.BytesIO(b"x" * 5000), max_size=4096)
    assert list(store) == []
    assert store.temp_files() == []


def test_crash_between_write_and_rename_leaves_no_partial_file(tmp_path, monkeypatch):
    store = Store(tmp_path)
    data = b"%PDF-1.7 an original"
    digest = hashlib.sha256(data).hexdigest()

    def crash(src, dst):
        raise KeyboardInterrupt("power cut")  # as abrupt as it gets for Python code

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        store.put_bytes(data)
    monkeypatch.undo()

    assert digest not in store
    assert list(store) == []
    # A hard kill would skip the cleanup: leftovers are only ever .tmp-* files, which nothing reads.
    leftover = store.path_for(digest).parent / ".tmp-leftover"
    leftover.write_bytes(data[:5])
    assert list(store) == []
    assert store.temp_files() == [leftover]
    assert store.remove_temp_files() == 0  # as young as a write in progress: kept
    a_day_ago = time.time() - TEMP_FILE_EXPIRY
    os.utime(leftover, (a_day_ago, a_day_ago))
    assert store.remove_temp_files() == 1 and not leftover.exists()

    assert store.put_bytes(data).new is True
    assert store.hash_file(digest) == digest


def test_path_for_rejects_anything_but_a_digest(tmp_path):
    store = Store(tmp_path)
    for bad in ("../../etc/passwd", "A" * 64, "abc", "0" * 63 + "/"):
        with pytest.raises(ValueError, match="sha256"):
            store.path_for(bad)


def test_originals_are_read_only_once_stored(tmp_path):
    store = Store(tmp_path)
    stored = store.put_bytes(b"keep me")
    assert store.path_for(stored.sha256).stat().st_mode & 0o222 == 0
