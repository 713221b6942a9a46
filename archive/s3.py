"""The store of originals in an S3-compatible object store (through fsspec/s3fs).

For parse workers that share no file system with the archive: the archive
copies the originals they need into the bucket (``S3Store.put_bytes``), the
workers read them back by sha256 (``S3Store.read_bytes``). Objects are named
like the files of the local store, ``PREFIX/ab/cd/abcd…``.

- A write is one PUT of the whole body (an object appears complete or not at
  all; no multipart upload is left open) and is skipped when the object exists:
  content addressing makes it idempotent.
- A read checks the bytes against their sha256, so a damaged or truncated
  object is an error, never a wrong parse.
- A 5xx answer, a throttle, a connection error or a timeout is retried with
  exponential backoff (``attempts`` tries in all), then raised as ``StoreError``
  naming the object and the last reason. botocore's own retries are turned off
  so that these are the only ones (and a timeout costs one ``timeout``, not four).

The endpoint is ``AWS_ENDPOINT_URL`` (the variable botocore and the aws CLI
read) unless given; credentials come from the usual AWS variables or files of
the machine that reads, never from the archive.
"""

from __future__ import annotations

import hashlib
import os
import time
from urllib.parse import urlsplit

from .store import Store, Stored, StoreError, check_sha256


class S3Store:
    def __init__(self, url: str, *, endpoint_url: str | None = None, attempts: int = 5, backoff: float = 0.5,
                 timeout: float = 30.0):
        parts = urlsplit(url)
        if parts.scheme != "s3" or not parts.netloc:
            raise ValueError(f"not an s3://BUCKET[/PREFIX] address: {url!r}")
        self.url = url.rstrip("/")
        self.bucket = parts.netloc
        self.prefix = parts.path.strip("/")
        self.endpoint_url = endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.timeout = timeout
        self._fs = None

    def __reduce__(self):
        # Sent to worker processes by its settings; each process opens its own connection pool.
        return (_reopen, (self.url, self.endpoint_url, self.attempts, self.backoff, self.timeout))

    @property
    def fs(self):
        if self._fs is None:
            import s3fs

            self._fs = s3fs.S3FileSystem(
                endpoint_url=self.endpoint_url,
                config_kwargs={"retries": {"total_max_attempts": 1, "mode": "standard"},
                               "connect_timeout": self.timeout, "read_timeout": self.timeout},
                skip_instance_cache=True,
            )
            self._fs.retries = 1  # s3fs's own retry loop (a class attribute); ours is _retry
        return self._fs

    def key_for(self, sha256: str) -> str:
        check_sha256(sha256)
        return "/".join(p for p in (self.bucket, self.prefix, sha256[:2], sha256[2:4], sha256) if p)

    def __contains__(self, sha256: str) -> bool:
        key = self.key_for(sha256)
        return self._retry(f"checking {key}", lambda: self._exists(key))

    def _exists(self, key: str) -> bool:
        try:
            self.fs.info(key, refresh=True)
            return True
        except FileNotFoundError:
            return False

    def read_bytes(self, sha256: str) -> bytes:
        key = self.key_for(sha256)
        data = self._retry(f"reading {key}", lambda: self.fs.cat_file(key))
        if hashlib.sha256(data).hexdigest() != sha256:
            raise StoreError(f"{self.url}: {key} does not hash to its name ({len(data)} bytes): damaged object")
        return data

    def put_bytes(self, data: bytes) -> Stored:
        sha256 = hashlib.sha256(data).hexdigest()
        key = self.key_for(sha256)
        if sha256 in self:
            return Stored(sha256, len(data), new=False)
        self._retry(f"writing {key}", lambda: self.fs.pipe_file(key, data))
        return Stored(sha256, len(data), new=True)

    def fetch_into(self, sha256s, folder) -> Store:
        """A local store under ``folder`` holding these originals, for readers that want files."""
        local = Store(folder)
        for sha256 in dict.fromkeys(sha256s):
            if sha256 not in local:
                local.put_bytes(self.read_bytes(sha256))
        return local

    def _retry(self, what: str, call):
        for attempt in range(1, self.attempts + 1):
            try:
                return call()
            except (FileNotFoundError, PermissionError, ValueError):
                raise  # an answer, not a fault: retrying changes nothing
            except Exception as exc:  # 5xx, throttling, connection reset, timeout
                if not _transient(exc):
                    raise StoreError(f"{self.url}: {what} failed: {_reason(exc)}") from exc
                if attempt == self.attempts:
                    raise StoreError(f"{self.url}: {what} failed {attempt} times; last: {_reason(exc)}") from exc
                time.sleep(self.backoff * 2 ** (attempt - 1))


def _reopen(url, endpoint_url, attempts, backoff, timeout) -> S3Store:
    return S3Store(url, endpoint_url=endpoint_url, attempts=attempts, backoff=backoff, timeout=timeout)


def _transient(exc: BaseException) -> bool:
    """A fault that another try may not meet: server errors, throttling, network and timeouts."""
    from botocore.exceptions import BotoCoreError, ClientError

    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        code = str(exc.response.get("Error", {}).get("Code", ""))
        return status >= 500 or status == 429 or code in ("SlowDown", "RequestTimeout", "Throttling")
    # s3fs turns most errors into OSError subclasses; a 5xx it could not map arrives as a plain OSError.
    return isinstance(exc, (BotoCoreError, OSError, TimeoutError, ConnectionError)) or "Timeout" in type(exc).__name__


def _reason(exc: BaseException) -> str:
    """One line: the HTTP status and S3 error code where there was an answer (s3fs hides them in
    the chained botocore error), and the message."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    cause = exc
    while cause is not None and not hasattr(cause, "response"):
        cause = cause.__cause__ or cause.__context__
    if cause is not None and isinstance(getattr(cause, "response", None), dict):
        status = cause.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        code = cause.response.get("Error", {}).get("Code")
        text = f"HTTP {status} {code or ''}: {text}"
    return f"{type(exc).__name__}: {text}"[:300]
