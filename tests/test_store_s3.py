"""The S3 backend of the store against a local S3 server (moto on loopback), with a proxy in front
of it answering 500 or stalling: retried with backoff, then reported; nothing half-written."""

import hashlib
import logging
import time

import pytest

from archive.s3 import S3Store
from archive.store import Store, StoreError, open_store
from tests.s3_server import CREDENTIALS, FaultProxy, moto_server

pytest.importorskip("s3fs")


@pytest.fixture(scope="module")
def s3():
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with pytest.MonkeyPatch.context() as env:
        for key, value in CREDENTIALS.items():
            env.setenv(key, value)
        with moto_server() as endpoint:
            S3Store("s3://bucket", endpoint_url=endpoint).fs.mkdir("bucket")
            yield endpoint


@pytest.fixture
def proxy(s3):
    proxy = FaultProxy(s3)
    yield proxy
    proxy.close()


def objects(endpoint: str, prefix: str = "bucket") -> list[str]:
    return sorted(S3Store(f"s3://{prefix}", endpoint_url=endpoint).fs.find(prefix))


def test_open_store_chooses_the_backend_by_address(tmp_path):
    assert isinstance(open_store(tmp_path / "originals"), Store)
    s3 = open_store("s3://bucket/some/prefix")
    assert (s3.bucket, s3.prefix) == ("bucket", "some/prefix")
    with pytest.raises(ValueError, match="unknown store address"):
        open_store("ftp://host/originals")


def test_written_once_under_its_sha256_and_read_back(s3):
    store = S3Store("s3://bucket/once", endpoint_url=s3)
    data = "报告正文".encode() * 1000
    first, second = store.put_bytes(data), store.put_bytes(data)
    sha256 = hashlib.sha256(data).hexdigest()
    assert (first.sha256, first.new, second.new) == (sha256, True, False)
    assert objects(s3) == [f"bucket/once/{sha256[:2]}/{sha256[2:4]}/{sha256}"]
    assert sha256 in store and store.read_bytes(sha256) == data
    assert "0" * 64 not in store


def test_500s_are_retried_with_backoff_then_the_write_succeeds(proxy, s3):
    store = S3Store("s3://bucket/retry", endpoint_url=proxy.url, backoff=0.1)
    proxy.fail(3, method="PUT")
    started = time.monotonic()
    stored = store.put_bytes(b"after three 500s")
    assert time.monotonic() - started >= 0.1 + 0.2 + 0.4  # the backoff doubled between tries
    assert [status for method, _, status in proxy.requests if method == "PUT"] == [500, 500, 500, 200]
    assert S3Store("s3://bucket/retry", endpoint_url=s3).read_bytes(stored.sha256) == b"after three 500s"


def test_a_store_that_keeps_answering_500_is_reported_and_nothing_is_left_half_written(proxy, s3):
    store = S3Store("s3://bucket/down", endpoint_url=proxy.url, attempts=4, backoff=0.01)
    proxy.fail(1000, method="PUT")
    with pytest.raises(StoreError, match=r"writing bucket/down/.* failed 4 times; last: .*HTTP 500 InternalError"):
        store.put_bytes(b"x" * 100_000)
    assert [m for m, _, _ in proxy.requests].count("PUT") == 4
    assert objects(s3, "bucket/down") == []


def test_a_stalled_store_times_out_each_try_then_is_reported(proxy, s3):
    sha256 = S3Store("s3://bucket/slow", endpoint_url=s3).put_bytes(b"slow").sha256
    store = S3Store("s3://bucket/slow", endpoint_url=proxy.url, attempts=2, backoff=0.01, timeout=0.5)
    proxy.stall(1, 2.0, method="GET")
    assert store.read_bytes(sha256) == b"slow"  # the second try is answered at once
    proxy.stall(1000, 2.0)
    started = time.monotonic()
    with pytest.raises(StoreError, match=r"reading .* failed 2 times; last: .*[Tt]imeout"):
        store.read_bytes(sha256)
    assert time.monotonic() - started < 10


def test_a_damaged_object_is_an_error_not_a_wrong_file(s3):
    store = S3Store("s3://bucket/damaged", endpoint_url=s3)
    sha256 = hashlib.sha256(b"the original").hexdigest()
    store.fs.pipe_file(store.key_for(sha256), b"the original, cut")
    with pytest.raises(StoreError, match="does not hash to its name"):
        store.read_bytes(sha256)


def test_fetch_into_gives_the_readers_a_folder_store(s3, tmp_path):
    store = S3Store("s3://bucket/fetch", endpoint_url=s3)
    a, b = store.put_bytes(b"page"), store.put_bytes(b"image")
    local = store.fetch_into([a.sha256, b.sha256, a.sha256], tmp_path / "local")
    assert sorted(local) == sorted([a.sha256, b.sha256]) and local.read_bytes(b.sha256) == b"image"
    folder = Store(tmp_path / "shared")
    assert folder.fetch_into([a.sha256], tmp_path / "unused") is folder
