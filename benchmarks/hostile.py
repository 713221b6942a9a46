"""Hostile input: a generated corpus of the kinds issue 13 attacked with, read under the
per-file limits, imported as a careless user would, and killed half-way.

    python3 -m benchmarks.hostile [--time-limit 15] [--memory-limit 1536M] [--keep DIR]

1. Every file of the corpus is read by ``nianbao parse-file`` in its own
   process; per kind it prints the outcomes, the longest wall time and the
   largest peak memory (the process and its reader child, from ``wait4``).
   A file ends within its limits with one line: its record, or one line on
   stderr naming it and the reason.
2. The corpus folder is imported with ``nianbao import`` under a ``HOME`` and a
   ``TMPDIR`` of their own: nothing may be written there (everything goes to
   the data dir), nothing that links point to outside the folder may be
   archived, and every skipped or failed name is one line with no raw control
   character.
3. ``nianbao parse --all --workers 2`` is killed with SIGKILL while it reads the
   slow files: no process it started may outlive it, and the next command
   marks the killed import's run ``interrupted`` and sweeps its temporary folder.

The limits default to 15 s and 1.5 GB (the product's defaults are 120 s and
2 GB) so that the slow kinds end in minutes. Exit status 1 when a check fails.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import signal
import sqlite3
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
import zlib
from collections import Counter, defaultdict
from pathlib import Path

from nianbao.testbed.zips import understate

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"
NIANBAO = Path(sys.executable).parent / "nianbao"
SECRET_MARKER = "NIANBAO-HOSTILE-SECRET-7f3a"


# --- the corpus ------------------------------------------------------------------------


def seed_texts() -> list[bytes]:
    return [path.read_bytes() for path in sorted(SEEDS.glob("*.txt"))]


def html(body: str, title: str = "政府信息公开工作年度报告", head: str = "") -> bytes:
    return f"<html><head><meta charset='utf-8'><title>{title}</title>{head}</head><body>{body}</body></html>".encode()


def slow_attributes(count: int) -> bytes:
    return html("<div " + " ".join(f'a{i}="x"' for i in range(count)) + ">报告</div>")


def huge_table(megabytes: int) -> bytes:
    row = "<tr>" + "<td>1</td>" * 20 + "</tr>"
    return html("<table>" + row * (megabytes * 2**20 // len(row)) + "</table>")


def pdf_with_paths(paths: int) -> bytes:
    """A one-page PDF whose content stream draws ``paths`` tiny lines (small once deflated)."""
    stream = zlib.compress(b"0 0 m 1 1 l S\n" * paths, 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def docx_package(document: bytes, *, declared: int | None = None) -> bytes:
    """A minimal DOCX; with ``declared``, its ZIP headers understate document.xml's size."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", '<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
                         'content-types"><Override PartName="/word/document.xml" ContentType="application/'
                         'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')
        package.writestr("_rels/.rels", '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                         'relationships"><Relationship Id="r1" Type="http://schemas.openxmlformats.org/'
                         'officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
                         '</Relationships>')
        with package.open("word/document.xml", "w") as member:
            for start in range(0, len(document), 2**24):
                member.write(document[start:start + 2**24])
    if declared is None:
        return buffer.getvalue()
    return understate(buffer.getvalue(), "word/document.xml", declared)


def declared_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("word/document.xml", b"<w:document/>")
    data = bytearray(buffer.getvalue())
    at = data.find(b"PK\x01\x02")
    data[at + 24: at + 28] = (4 * 2**30 - 1).to_bytes(4, "little")  # claims 4 GB
    return bytes(data)


W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def entity_bomb() -> bytes:
    entities = "".join(f'<!ENTITY e{i} "&e{i - 1};&e{i - 1};&e{i - 1};&e{i - 1};&e{i - 1};">' for i in range(1, 12))
    document = (f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e0 "年报年报年报">{entities}]>'
                f'<w:document {W}><w:body><w:p><w:r><w:t>&e11;</w:t></w:r></w:p></w:body></w:document>')
    return docx_package(document.encode())


def png_header(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def build_corpus(folder: Path, outside: Path) -> dict[str, str]:
    """Write the corpus; returns file name -> kind (names as bytes decoded for the kinds by name)."""
    kinds: dict[str, str] = {}
    seeds = seed_texts()
    secret = outside / "secret.txt"
    secret.write_text(f"{SECRET_MARKER}\n" + seeds[0].decode("utf-8"), encoding="utf-8")

    def put(kind: str, name: str | bytes, data: bytes) -> None:
        raw = name if isinstance(name, bytes) else name.encode()
        with open(os.fsencode(folder) + b"/" + raw, "wb") as out:
            out.write(data)
        kinds[os.fsdecode(raw)] = kind

    for i in range(4):
        put("html: 50,000+ attributes (lxml quadratic)", f"attributes-{i}.html", slow_attributes(60_000 + 20_000 * i))
    for i in range(3):
        put("pdf: millions of vector paths", f"paths-{i}.pdf", pdf_with_paths(4_000_000))
    for i in range(2):
        put("html: 50 MB table", f"table-{i}.html", huge_table(50))
    for i in range(3):
        put("docx: ZIP directory understates a member", f"understated-{i}.docx",
            docx_package(b"<w:document>" + b" " * (300 * 2**20), declared=1000))
    for i in range(6):
        put("docx: ZIP directory declares a bomb", f"declared-bomb-{i}.docx", declared_bomb())
    for i in range(6):
        put("docx: entity bomb", f"entities-{i}.docx", entity_bomb())
    for i in range(6):
        put("html: 200,000 nested elements", f"nested-{i}.html", html("<div>" * 200_000 + "报告" + "</div>" * 200_000))
    for i in range(3):
        put("html: 19 MB data: URI", f"data-uri-{i}.html",
            html(f'<img src="data:image/png;base64,{"A" * (19 * 2**20)}">' + "<p>政府信息公开工作年度报告</p>"))
    for i in range(3):
        put("text: 52 MB single line (title)", f"long-title-{i}.txt", ("年" * (52 * 2**20 // 3)).encode())
    for i in range(10):
        text = seeds[i % len(seeds)].decode("utf-8")
        put("text: numbers of 5,000 digits", f"digits-{i}.txt", text.replace("收到", "收到" + "9" * 5000 + "件", 1)
            .replace("0", "1" * 4300 + "0", 3).encode())
    for i in range(10):
        put("html: %PDF- in its first kilobyte", f"pdf-marker-{i}.html",
            html("<p>" + seeds[i % len(seeds)].decode("utf-8").replace("\n", "</p><p>") + "</p>",
                 head="<script>var sniff = '%PDF-1.4';</script>"))
    for i in range(20):
        put("name: GBK bytes", f"{2003 + i}年报-{i}.html".encode("gbk"),
            html("<p>" + seeds[i % len(seeds)].decode("utf-8").replace("\n", "</p><p>") + "</p>"))
    for i in range(5):
        put("name: undecodable bytes", b"\xff\xfe-%d.txt" % i, seeds[i % len(seeds)])
    for i in range(10):
        put("name: control characters", f"esc\x1b[31m-{i}\nforged line.txt", b"")
    for i in range(10):
        put("hidden name", f".hidden-{i}.txt", seeds[i % len(seeds)])
    for i in range(6):
        os.symlink(secret, folder / f"link-{i}.txt")
        kinds[f"link-{i}.txt"] = "symbolic link out of the folder"
    for target, name in (("/etc/passwd", "passwd.txt"), ("/proc/self/environ", "environ.txt"),
                         ("/etc", "etc"), (str(outside), "outside")):
        os.symlink(target, folder / name)
        kinds[name] = "symbolic link out of the folder"
    (folder / "page_files").mkdir()
    put("saved page (its _files/ links out)", "page.html", html('<img src="page_files/a.png"><p>年度报告</p>'))
    for i in range(4):
        os.symlink(secret, folder / "page_files" / f"a{i}.png")
        kinds[f"page_files/a{i}.png"] = "saved page (its _files/ links out)"
    for i in range(5):
        os.mkfifo(folder / f"fifo-{i}.pdf")
        kinds[f"fifo-{i}.pdf"] = "FIFO"
    for i in range(8):
        put("empty or truncated", f"truncated-{i}.pdf", (b"%PDF-1.7\n1 0 obj\n<<" * (i + 1))[: 10 * i])
    for i in range(6):
        put("binary garbage", f"garbage-{i}.doc", os.urandom(4096 * (i + 1)))
    for i in range(6):
        put("corrupt ZIP", f"corrupt-{i}.docx", b"PK\x03\x04" + os.urandom(2000))
    for i in range(5):
        put("image: 40,000 x 40,000 px header", f"pixels-{i}.png", png_header(40_000 + i, 40_000))
    for i in range(10):
        put("genuine report (control)", f"report-{i}.txt", seeds[i % len(seeds)])
    return kinds


# --- 1. every file read alone --------------------------------------------------------------


def read_each(folder: Path, kinds: dict[str, str], limits: list[str], env: dict) -> tuple[dict, list[str]]:
    per_kind: dict[str, dict] = defaultdict(lambda: {"outcomes": Counter(), "seconds": 0.0, "peak": 0, "files": 0})
    problems = []
    for name, kind in sorted(kinds.items()):
        path = folder / name
        if path.is_symlink():
            continue  # import skips links; parse-file follows a link the user names on purpose
        seconds, peak, status, lines = _run_measured(
            [str(NIANBAO), "parse-file", *limits, os.fsencode(path)], env)
        if status == 0:
            outcome = "read"
        elif len(lines) == 1 and "parse-file: " in lines[0]:
            outcome = _outcome(lines[0].rpartition(": ")[2], lines[0])
        else:
            outcome = "UNCLEAR"
            problems.append(f"{name!r}: {len(lines)} lines on stderr: {lines[-3:]}")
        if any(ord(ch) < 32 and ch != "\t" for line in lines for ch in line):
            problems.append(f"{name!r}: a raw control character in its error line")
        stats = per_kind[kind]
        stats["outcomes"][outcome] += 1
        stats["seconds"] = max(stats["seconds"], seconds)
        stats["peak"] = max(stats["peak"], peak)
        stats["files"] += 1
    return per_kind, problems


def _run_measured(command: list, env: dict) -> tuple[float, int, int, list[str]]:
    """Wall seconds, peak resident bytes (the process and the children it reaped, from wait4),
    exit status and stderr lines of one command."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        process = subprocess.Popen(command, env=env, stdout=out, stderr=err)
        watchdog = threading.Timer(900, process.kill)  # a hang would be a finding, not a stuck benchmark
        watchdog.start()
        _, status, usage = os.wait4(process.pid, 0)
        watchdog.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.monotonic() - started
        err.seek(0)
        lines = err.read().decode("utf-8", "replace").splitlines()
    return seconds, usage.ru_maxrss * 1024, process.returncode, lines


def _outcome(reason: str, line: str) -> str:
    for marker, name in (("time limit", "stopped: time limit"), ("memory limit", "stopped: memory limit"),
                         ("exceeds the", "refused: cap"), ("decompressed size", "refused: ZIP size"),
                         ("not a regular file", "refused: not a regular file")):
        if marker in line:
            return name
    return "error: " + reason[:40]


# --- 2. the folder imported --------------------------------------------------------------------


def import_folder(folder: Path, data: Path, limits: list[str], env: dict) -> tuple[list[str], list[str]]:
    result = subprocess.run([str(NIANBAO), "import", "--data-dir", str(data), *limits, str(folder)], env=env,
                            capture_output=True, timeout=3600)
    lines = result.stderr.decode("utf-8", "replace").splitlines()
    problems = [f"import: a line with a raw control character: {line[:80]!r}" for line in lines
                if any(ord(ch) < 32 and ch != "\t" for ch in line)]
    problems += [f"import: not one line per name: {line[:100]!r}" for line in lines if not line.startswith("nianbao: ")]
    store = data / "originals"
    for path in store.rglob("*"):
        if path.is_file() and SECRET_MARKER.encode() in path.read_bytes():
            problems.append(f"import archived a file outside the folder: {path}")
    for path in (data / "originals").rglob("*"):
        if path.is_file() and path.read_bytes().startswith(b"root:"):
            problems.append("import archived /etc/passwd")
    return result.stdout.decode().splitlines() + lines, problems


# --- 3. killed half-way ------------------------------------------------------------------------


def kill_half_way(data: Path, limits: list[str], env: dict) -> list[str]:
    from parsers.sandbox import descendants

    problems = []
    process = subprocess.Popen([str(NIANBAO), "parse", "--all", "--workers", "2", "--data-dir", str(data), *limits],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    started: set[int] = set()
    while time.monotonic() < deadline and process.poll() is None:
        started |= set(descendants(process.pid))
        if len(started) >= 4:  # two workers and their readers at work
            break
        time.sleep(0.2)
    time.sleep(2)
    started |= set(descendants(process.pid))
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    time.sleep(3)
    alive = [pid for pid in started if Path(f"/proc/{pid}").exists() and _state(pid) != "Z"]
    if alive:
        problems.append(f"processes outlived their killed parent: {alive}")
    return problems + [f"(killed parse had {len(started)} processes below it)"]


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return "gone"


def _run_is_running(data: Path) -> bool:
    try:
        with sqlite3.connect(f"{(data / 'nianbao.db').as_uri()}?mode=ro", uri=True, timeout=0.1) as db:
            return bool(db.execute("SELECT 1 FROM crawl_runs WHERE status = 'running'").fetchone())
    except sqlite3.Error:
        return False


def killed_import_is_marked(folder: Path, data: Path, limits: list[str], env: dict) -> list[str]:
    process = subprocess.Popen([str(NIANBAO), "import", "--data-dir", str(data), *limits, str(folder)],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not _run_is_running(data):  # killed while it archives
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    time.sleep(1)
    leftover = list((data / "tmp").iterdir())
    subprocess.run([str(NIANBAO), "parse", "--data-dir", str(data), "--time-limit", "1"], env=env,
                   capture_output=True, timeout=600)
    with sqlite3.connect(data / "nianbao.db") as db:
        statuses = [row[0] for row in db.execute("SELECT status FROM crawl_runs ORDER BY id")]
    problems = []
    if "interrupted" not in statuses or "running" in statuses:
        problems.append(f"the killed import's run is not marked interrupted: {statuses}")
    swept = [path for path in leftover if path.exists()]
    if not leftover or swept:
        problems.append(f"the killed import's temporary folder was not swept: {leftover}, left {swept}")
    return problems


# --- main ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--time-limit", default="15")
    parser.add_argument("--memory-limit", default="1536M")
    parser.add_argument("--keep", type=Path, help="Work here and keep the corpus and the archive.")
    parser.add_argument("--build-into", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.build_into:
        kinds = build_corpus(args.build_into / "corpus", args.build_into / "outside")
        (args.build_into / "kinds.json").write_text(json.dumps(kinds))  # names may hold escaped bytes
        return 0
    limits = ["--time-limit", args.time_limit, "--memory-limit", args.memory_limit]
    work = args.keep or Path(tempfile.mkdtemp(prefix="nianbao-hostile-"))
    folder, outside, home, tmp = (work / n for n in ("corpus", "outside", "home", "tmp"))
    for path in (folder, outside, home, tmp):
        path.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    # Built by another process: Linux counts the RSS a process had before exec in its children's
    # peak (ru_maxrss), so this one stays small while it measures them.
    subprocess.run([sys.executable, "-m", "benchmarks.hostile", "--build-into", str(work)], cwd=ROOT, check=True)
    kinds = json.loads((work / "kinds.json").read_text())
    print(f"corpus: {len(kinds)} files of {len(set(kinds.values()))} kinds in {time.monotonic() - started:.0f} s; "
          f"limits {args.time_limit} s, {args.memory_limit}")
    # A HOME and TMPDIR of their own: anything written there was written outside the data dir.
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "TMPDIR": str(tmp), "LANG": "C.UTF-8"}

    per_kind, problems = read_each(folder, kinds, limits, env)
    print(f"\n{'kind':45} {'files':>5} {'longest':>8} {'peak MB':>8}  outcomes")
    for kind, stats in sorted(per_kind.items()):
        peak = f"{stats['peak'] / 2**20:.0f}"
        outcomes = ", ".join(f"{n} {o}" for o, n in stats["outcomes"].most_common())
        print(f"{kind:45} {stats['files']:5} {stats['seconds']:7.1f}s {peak:>8}  {outcomes}")
    print("(longest: wall time of the slowest file, process start included; peak: the largest resident memory "
          "of a file's process and its reader)")

    data = work / "data"
    lines, import_problems = import_folder(folder, data, limits, env)
    problems += import_problems
    print(f"\nimport: {lines[0] if lines else '?'}; {len(lines) - 2} lines on stderr, e.g.")
    for line in [ln for ln in lines if "symbolic link" in ln][:1] + [ln for ln in lines if "FIFO" in ln][:1] + \
            [ln for ln in lines if "esc" in ln][:1] + [ln for ln in lines if "time limit" in ln][:1]:
        print(f"  {line[:150]}")
    kill = kill_half_way(data, limits, env)
    problems += [p for p in kill if not p.startswith("(")]
    print(f"parse --workers 2 killed with SIGKILL: {'no process outlived it' if len(kill) == 1 else kill[0]} {kill[-1]}")
    marked = killed_import_is_marked(folder, work / "data-killed", limits, env)
    problems += marked
    print(f"import killed with SIGKILL: {'run marked interrupted, temporary folder swept' if not marked else marked}")
    written = [str(p.relative_to(work)) for base in (home, tmp) for p in base.rglob("*")]
    if written:
        problems.append(f"written outside the data dir: {written[:10]}")
    print(f"outside the data dir (HOME, TMPDIR): {len(written)} files written")
    print(f"\n{len(problems)} problems; {time.monotonic() - started:.0f} s in all")
    for problem in problems:
        print(f"  PROBLEM: {problem}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
