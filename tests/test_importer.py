"""`nianbao import` reads what the user named: regular files, no links out, byte names, escaped output."""

import os
import subprocess

from click.testing import CliRunner

from archive import Archive
from archive.importer import import_paths, walk
from archive.paths import decode_name, printable
from nianbao.cli import cli
from tests.conftest import NIANBAO, ROOT, SEEDS

SEED = next(SEEDS.glob("002_*.txt")).read_bytes()


def fetched(data):
    with Archive(data) as archive:
        return archive.archived_fetches()


def test_links_inside_a_folder_are_skipped_not_followed(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_bytes(SEED + "（机密）".encode())  # readable as a report, were it followed
    folder = tmp_path / "in"
    (folder / "report_files").mkdir(parents=True)
    (folder / "report.html").write_text("<html><body><p>报告</p><img src='report_files/a.png'></body></html>")
    (folder / "a.txt").write_bytes(SEED)
    os.symlink(secret, folder / "link.txt")
    os.symlink("/etc", folder / "etc")
    os.symlink(secret, folder / "report_files" / "a.png")  # through a saved page's folder too

    found = walk([folder])

    assert [f.path.name for f in found.files] == ["a.txt", "report.html"]
    assert {(s.name.rpartition("/")[2], s.reason) for s in found.skipped} == {
        (name, "skipped: a symbolic link (links are not followed)") for name in ("etc", "link.txt", "a.png")}
    data = tmp_path / "data"
    result = CliRunner().invoke(cli, ["import", "--data-dir", str(data), str(folder)])
    assert result.stdout.splitlines()[0] == "2 files archived (2 new), 3 skipped"
    assert f"nianbao: {folder / 'link.txt'}: skipped: a symbolic link (links are not followed)" in result.stderr
    assert not any(b"secret" in (row[1] or "").encode() for row in fetched(data))
    with Archive(data) as archive:
        assert all(secret.read_bytes() != archive.store.read_bytes(row[7]) for row in archive.archived_fetches()
                   if row[7])


def test_hidden_names_fifos_and_devices_are_listed_with_a_reason(tmp_path):
    folder = tmp_path / "in"
    (folder / ".git").mkdir(parents=True)
    (folder / ".git" / "config").write_bytes(SEED)
    (folder / ".draft.txt").write_bytes(SEED)
    os.mkfifo(folder / "pipe")
    os.mkfifo(tmp_path / "given.fifo")

    found = walk([folder, tmp_path / "given.fifo", "/dev/null", tmp_path / "missing.pdf"])

    reasons = {s.name.rpartition("/")[2]: s.reason for s in found.skipped}
    assert reasons == {".git": "skipped: hidden name", ".draft.txt": "skipped: hidden name",
                       "pipe": "skipped: a FIFO", "given.fifo": "skipped: a FIFO",
                       "null": "skipped: a character device",
                       "missing.pdf": "cannot read: No such file or directory"}
    assert found.files == []


def test_a_fifo_given_to_import_does_not_hang(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    result = subprocess.run([NIANBAO, "import", "--data-dir", str(tmp_path / "data"),
                             str(tmp_path / "pipe")], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.stderr.strip() == f"nianbao: {tmp_path / 'pipe'}: skipped: a FIFO"
    assert result.stdout.splitlines()[0] == "0 files archived (0 new), 1 skipped"


def test_names_are_bytes_decoded_utf8_else_gb18030_else_escaped(tmp_path):
    assert decode_name("年报.html".encode()) == "年报.html"
    assert decode_name("年报.html".encode("gbk")) == "年报.html"
    assert decode_name(b"\xff\xfe.txt") == "\\xff\\xfe.txt"
    folder = os.fsencode(tmp_path / "in")
    os.mkdir(folder)
    with open(folder + b"/" + "2023年报.html".encode("gbk"), "wb") as out:
        out.write("<html><body><p>政府信息公开工作年度报告</p></body></html>".encode("gbk"))
    with open(folder + b"/\xff\xfe.txt", "wb") as out:
        out.write(SEED)

    with Archive(tmp_path / "data") as archive:
        imported = import_paths(archive, [folder])

    assert sorted(item.path.name for item in imported) == ["2023年报.html", "\\xff\\xfe.txt"]
    assert all(item.error is None for item in imported)
    assert {row[1].rpartition("/")[2] for row in fetched(tmp_path / "data")} == {"2023年报.html", "\\xff\\xfe.txt"}


def test_control_characters_in_names_are_printed_escaped(tmp_path):
    assert printable("a\x1b[2Jb\nc\u202ed") == "a\\x1b[2Jb\\nc\\u202ed"
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "bad\x1b[31m\nline.docx").write_bytes(b"")
    result = CliRunner().invoke(cli, ["import", "--data-dir", str(tmp_path / "data"), str(folder)])
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"nianbao: {folder}/bad\\x1b[31m\\nline.docx: ") and "\x1b" not in result.stderr
