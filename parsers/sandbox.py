"""Bounded work per file: a reader runs in a child process with a time and a memory limit.

lxml, pdfium and onnxruntime run C code that no Python signal interrupts and
whose allocations no Python check sees, so the limits are the operating
system's: the child sets ``RLIMIT_AS`` on itself, to the address space it
starts with plus the memory limit (an allocation past it
fails: ``MemoryError``, or the reader dies) and the parent waits at most the
time limit, then kills the child and everything it started. Either way the
caller gets ``LimitExceeded`` with a one-line reason, and the next file gets
a fresh child. A child that did not fail stays up for the next file, so the
readers' models and modules are loaded once, not once per file.

The child dies with its parent (``PR_SET_PDEATHSIG``), so a parse killed
with ``kill -9`` leaves no reader running.

    with Sandbox(Limits(time_limit=120, memory_limit=2 * 2**30)) as sandbox:
        record = sandbox.call(parse_path, "report.pdf")
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import resource
import signal
import threading
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .errors import ParseError
from .limits import PARSE_MEMORY_LIMIT, PARSE_TIME_LIMIT

_PR_SET_PDEATHSIG = 1


class LimitExceeded(ParseError):
    """A file took longer or needed more memory than its limit; the message says which."""


@dataclass(frozen=True)
class Limits:
    """Per-file limits: seconds of wall time, bytes of address space reading may add (0: no limit)."""

    time_limit: float = PARSE_TIME_LIMIT
    memory_limit: int = PARSE_MEMORY_LIMIT

    def describe_time(self) -> str:
        return f"the {self.time_limit:g} s time limit"

    def describe_memory(self) -> str:
        return f"the {format_bytes(self.memory_limit)} memory limit"


def format_bytes(size: int) -> str:
    for unit, factor in (("GB", 2**30), ("MB", 2**20), ("KB", 2**10)):
        if size >= factor:
            return f"{size / factor:g} {unit}"
    return f"{size} bytes"


def parse_size(text: str) -> int:
    """``2G``, ``512M``, ``100k`` or a number of bytes."""
    text = text.strip().upper().removesuffix("B")
    factors = {"K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}
    factor = factors.get(text[-1:], 1)
    number = text[:-1] if text[-1:] in factors else text
    try:
        value = float(number)
    except ValueError:
        raise ValueError(f"not a size: {text!r} (e.g. 2G, 512M)") from None
    if value < 0:
        raise ValueError("a size cannot be negative")
    return int(value * factor)


def die_with_parent() -> None:
    """Ask the kernel to kill this process when its parent dies (Linux; elsewhere a no-op)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return


def set_memory_limit(limit: int) -> None:
    if limit > 0:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children of children too), from /proc; LibreOffice
    runs in its own session, so a process-group kill would miss it."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces and parentheses.
        ppid = int(stat.rpartition(")")[2].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        children = parents.get(todo.pop(), [])
        found.extend(children)
        todo.extend(children)
    return found


def kill_tree(pid: int) -> None:
    for victim in [*descendants(pid), pid]:
        try:
            os.kill(victim, signal.SIGKILL)
        except ProcessLookupError:
            continue


def _child_main(connection, parent_end, memory_limit: int) -> None:
    parent_end.close()  # forked with both ends: the parent closing its own must reach this one as EOF
    die_with_parent()
    # The limit is what reading may add to the address space the child starts with (a
    # parent with models or a browser loaded may already map gigabytes it never touches).
    ceiling = _address_space("VmSize") + memory_limit if memory_limit else 0
    set_memory_limit(ceiling)
    while True:
        try:
            job = connection.recv()
        except (EOFError, OSError):
            return
        except Exception as exc:  # a job this process cannot unpickle
            connection.send(("error", RuntimeError(f"job not transferable: {exc}")))
            continue
        function, args, kwargs = job
        peak_before = _address_space("VmPeak")
        try:
            outcome = ("ok", function(*args, **kwargs))
        except MemoryError:
            connection.send(("memory", None))
            return  # a fresh child for the next file: this one's heap may be in pieces
        except BaseException as exc:  # the caller re-raises it; the child stays up
            peak = _address_space("VmPeak")
            if ceiling and peak > peak_before and peak > ceiling - memory_limit // 10:
                # C readers report a failed allocation in their own words (lxml: "unknown error")
                connection.send(("memory", None))
                return
            outcome = ("error", _picklable(exc))
        try:
            connection.send(outcome)
        except MemoryError:
            connection.send(("memory", None))
            return
        except Exception as exc:  # a result that cannot be pickled is that file's error
            connection.send(("error", RuntimeError(f"result not transferable: {exc}")))


def _address_space(field: str) -> int:
    """This process's address space now (VmSize) or at its peak (VmPeak): what RLIMIT_AS bounds."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _picklable(exc: BaseException) -> BaseException:
    import pickle

    try:
        pickle.dumps(exc)
        return exc
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}")


class Sandbox:
    """One child process running calls under ``limits``; restarted after a call that broke one."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self._process = None
        self._connection = None
        self._lock = threading.Lock()

    def __enter__(self) -> "Sandbox":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _start(self) -> None:
        # fork: the child starts with the modules (and the state) its parent has, at once. The
        # child only reads files, so the locks other threads might hold at the fork do not matter.
        context = multiprocessing.get_context("fork")
        parent_end, child_end = context.Pipe()
        self._process = context.Process(target=_child_main, args=(child_end, parent_end, self.limits.memory_limit),
                                        name="nianbao-reader", daemon=True)
        self._process.start()
        child_end.close()
        self._connection = parent_end

    def close(self) -> None:
        if self._process is not None:
            self._connection.close()
            self._process.join(timeout=5)
            if self._process.is_alive():
                kill_tree(self._process.pid)
                self._process.join()
            self._process = self._connection = None

    def _kill(self) -> None:
        if self._process is not None:
            kill_tree(self._process.pid)
            self._process.join()
            self._connection.close()
            self._process = self._connection = None

    def call(self, function: Callable, *args, **kwargs) -> Any:
        """``function(*args, **kwargs)`` in the child; its exception is raised here as it was,
        and ``LimitExceeded`` when the call ran past a limit."""
        with self._lock:
            if self._process is None or not self._process.is_alive():
                self._start()
            try:
                self._connection.send((function, args, kwargs))
                ready = self._connection.poll(self.limits.time_limit if self.limits.time_limit > 0 else None)
                kind, value = self._connection.recv() if ready else ("time", None)
            except (EOFError, OSError, BrokenPipeError):
                kind, value = "died", None
            if kind == "ok":
                return value
            if kind == "error":
                raise value
            exitcode = self._process.exitcode if kind == "died" else None
            self._kill()
            if kind == "time":
                raise LimitExceeded(f"stopped: took longer than {self.limits.describe_time()}")
            if kind == "memory" or exitcode in (-signal.SIGKILL, -signal.SIGSEGV, -signal.SIGABRT):
                raise LimitExceeded(f"stopped: needed more than {self.limits.describe_memory()}")
            raise LimitExceeded(f"the reader died (exit status {exitcode})")


_sandboxes: dict[Limits, Sandbox] = {}
# A forked process (a pool worker) starts its own children: its parent's are not its own.
os.register_at_fork(after_in_child=_sandboxes.clear)


def run_limited(limits: Limits | None, function: Callable, *args, **kwargs) -> Any:
    """``function(*args, **kwargs)`` under ``limits`` in this process's sandbox for them
    (None: here, unbounded)."""
    if limits is None:
        return function(*args, **kwargs)
    sandbox = _sandboxes.get(limits)
    if sandbox is None:
        sandbox = _sandboxes[limits] = Sandbox(limits)
    return sandbox.call(function, *args, **kwargs)


def close_all() -> None:
    """Stop this process's sandboxes (their children exit at once)."""
    while _sandboxes:
        _sandboxes.popitem()[1].close()
