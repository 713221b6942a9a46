"""Parsing on the workers of a Dask distributed cluster; this process alone writes.

``nianbao parse --cluster tcp://SCHEDULER:8786`` hands each pending report to
the cluster as one task, ``read_job``: the worker reads the report's originals
from the store by sha256, parses every candidate and prepares the rows of the
best (``reparse.read_report``, as a ``--workers`` process does), and sends the
``Reading`` back. This process writes the readings as they arrive, through
``reparse.write_readings`` (batches, savepoints, one writer of the database).

Why Dask distributed: parsing is CPU-bound Python over files (OCR, LibreOffice,
PDF), a task a report of a second to a minute; Dask's scheduler hands such
tasks to worker processes and, when a worker dies, gives its tasks to another
(the scheduler knows what every worker holds), which is exactly the guarantee
wanted here. It is pure Python, ``pip install distributed``, runs a
``LocalCluster`` inside a test, and starts in a second on a 2-core machine.
Ray would do the same with a heavier runtime (a raylet and an object store per
node, its own wheels per platform) whose strengths (actors, GPUs, a shared
memory object store) parsing does not use.

What a worker reads from: the ``store`` (``archive.store.open_store``), the
data dir's ``originals/`` on a file system the workers share (the default), or
an S3-compatible bucket where they share none: this process first copies each
report's originals into the bucket (idempotent: content addressed), the worker
fetches them into a temporary folder and parses from there.

Faults:
- a file past its time or memory limit (``--time-limit``, ``--memory-limit``): the worker
  reads each file in its sandbox child (``parsers.sandbox``), as ``--workers`` does, so the
  child is stopped, the file gets a ``parse_errors`` row with the same one-line reason, and
  the worker goes on;
- a worker that dies mid-report: the scheduler runs the task again on another
  worker; its result reaches this process once and is written once. A report
  that kills ``distributed.scheduler.allowed-failures`` + 1 workers (3 + 1 by
  default; a reader that crashes the interpreter) fails with that reason and
  gets ``parse_errors`` rows, like a file no reader can read;
- a store that keeps failing (S3 5xx, timeouts, after the store's retries): the
  report is reported failed and written nowhere; it stays pending;
- a worker with another ``parsers.PARSER_VERSION``: its readings are refused
  (reported, not written), as they would be recorded under a version they
  were not read by.
"""

from __future__ import annotations

import tempfile
from typing import Iterator

import parsers
from parsers.sandbox import Limits

from .archive import Archive
from .load import Reading
from .store import Store, StoreError

# Tasks handed to the cluster ahead of the writer, per worker thread: enough that no worker
# waits for the next task, few enough that 1,000,000 pending reports are not one graph.
TASKS_PER_THREAD = 4


def read_job(store, report_key: str, originals: list, limits: Limits | None = None
             ) -> tuple[str, Reading | None, str | None]:
    """On a worker: (parser version, the report's Reading, None) or (version, None, why the store failed).

    Each file is read under ``limits`` in the worker's sandbox child (``parsers.sandbox``), as
    ``--workers`` does: a file past a limit is that file's error in the Reading (a ``parse_errors``
    row), and the worker goes on with a fresh child."""
    from .reparse import read_report

    allow_children_of_a_daemon()
    try:
        with tempfile.TemporaryDirectory(prefix="nianbao-fetch-") as folder:
            local = store.fetch_into([o.sha256 for o in originals], folder)
            return parsers.PARSER_VERSION, read_report(local, report_key, originals, limits), None
    except StoreError as exc:
        return parsers.PARSER_VERSION, None, str(exc)


def allow_children_of_a_daemon() -> None:
    """Let a Dask worker process start the sandbox's reader child.

    A nanny starts its worker as a daemonic ``multiprocessing`` process, and multiprocessing
    refuses children to a daemon (so that none outlives it). The reader child dies with its
    parent anyway (``PR_SET_PDEATHSIG``), which is that guarantee, so the flag is lifted here."""
    import multiprocessing

    worker = multiprocessing.current_process()
    if worker.daemon:
        worker.daemon = False


def read_on_cluster(archive: Archive, address: str, todo: list[tuple[str, list]], failed: dict[str, str],
                    store=None, limits: Limits | None = None) -> Iterator[tuple[str, Reading]]:
    """Yield ``(report_key, Reading)`` as the cluster's workers finish them (in any order).

    Reports that could not be read for reasons other than their files (the store,
    a worker of another parser version) go into ``failed`` and are not yielded. Workers
    read each file under ``limits`` (None: unbounded, in the worker itself)."""
    from distributed import Client, as_completed
    from distributed.scheduler import KilledWorker

    store = archive.store if store is None else store
    with Client(address, timeout="30s") as client:
        threads = sum(client.nthreads().values()) or 1
        pending = iter(todo)
        submitted: dict[str, tuple[str, list]] = {}  # task key -> (report key, its originals)
        running = as_completed()

        def submit_next() -> bool:
            for key, originals in pending:
                try:
                    _publish(archive, store, originals)
                except StoreError as exc:
                    failed[key] = str(exc)
                    continue
                task = f"nianbao-read-{key}-{len(submitted)}"
                submitted[task] = (key, originals)
                running.add(client.submit(read_job, store, key, originals, limits, pure=False, key=task))
                return True
            return False

        for _ in range(TASKS_PER_THREAD * threads):
            if not submit_next():
                break
        for future in running:
            key, originals = submitted.pop(future.key)
            try:
                version, reading, store_error = future.result()
            except KilledWorker as exc:
                reason = f"every worker that parsed it died ({type(exc).__name__}: {_one_line(exc)})"
                version, reading, store_error = parsers.PARSER_VERSION, _died(originals, reason), None
            finally:
                future.release()
            submit_next()
            if store_error:
                failed[key] = store_error
            elif version != parsers.PARSER_VERSION:
                failed[key] = (f"the worker parses with parser version {version}, this writer with "
                               f"{parsers.PARSER_VERSION}: install the same nianbao on the workers")
            else:
                yield key, reading


def _publish(archive: Archive, store, originals: list) -> None:
    """Make the originals readable in ``store`` (a no-op for the archive's own folder or one it shares)."""
    if isinstance(store, Store) and store.root.resolve() == archive.store.root.resolve():
        return
    for sha256 in dict.fromkeys(o.sha256 for o in originals):
        if sha256 not in store:
            store.put_bytes(archive.store.read_bytes(sha256))


def _died(originals: list, reason: str) -> Reading:
    return Reading([(o.sha256, reason) for o in originals])


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__
