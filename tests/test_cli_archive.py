"""The archive's commands as a person or cron runs them: db init, import, parse, export, verify."""

import subprocess

from click.testing import CliRunner

from archive import Archive
from nianbao.cli import cli
from archive.db import MIGRATIONS
from tests.conftest import NIANBAO, SEEDS


def run(*args, env=None):
    result = CliRunner().invoke(cli, list(map(str, args)), env=env, catch_exceptions=False)
    return result


def test_db_init_is_idempotent_and_honours_nianbao_data(tmp_path):
    data = tmp_path / "data"
    first = run("db", "init", env={"NIANBAO_DATA": str(data)})
    second = run("db", "init", "--data-dir", data)
    assert first.exit_code == second.exit_code == 0
    assert f"schema version {MIGRATIONS[-1][0]}" in first.stdout and first.stdout == second.stdout
    assert (data / "nianbao.db").is_file() and (data / "originals").is_dir() and (data / "logs").is_dir()


def test_import_parse_export_verify(tmp_path):
    data = tmp_path / "data"
    folder = tmp_path / "in"
    folder.mkdir()
    for seed in sorted(SEEDS.glob("00[123]_*.txt")):
        (folder / seed.name).write_bytes(seed.read_bytes())
    (folder / "empty.docx").write_bytes(b"")

    imported = run("import", "--data-dir", data, folder)
    assert imported.exit_code == 1  # one file could not be read: said, and the rest loaded
    assert imported.stdout.splitlines() == ["4 files archived (4 new), 0 skipped", "3 reports loaded, 1 failed, 0 unchanged"]
    (line,) = imported.stderr.splitlines()
    assert line.startswith(f"nianbao: {folder / 'empty.docx'}: ")

    again = run("parse", "--data-dir", data)
    assert again.stdout.strip() == "0 reports loaded, 0 failed, 4 unchanged"
    assert again.exit_code == 0
    everything = run("parse", "--all", "--workers", "2", "--data-dir", data)
    assert everything.stdout.strip() == "3 reports loaded, 1 failed, 0 unchanged"

    exported = run("export", "--data-dir", data, tmp_path / "bundle", "--warc", tmp_path / "a.warc.gz")
    assert exported.exit_code == 0, exported.output
    # 4 resource records, a metadata record for each, and one for the import run they came in with.
    assert "4 originals" in exported.stdout and "9 WARC records" in exported.stdout
    assert run("export", "--data-dir", data, tmp_path / "bundle").exit_code == 1  # never overwrites

    verified = run("verify", "--data-dir", data)
    assert (verified.exit_code, verified.stdout.strip()) == (0, "4 originals checked, 0 problems")
    assert run("verify", tmp_path / "bundle").exit_code == 0

    original = next((data / "originals").glob("??/??/*"))
    original.chmod(0o644)
    original.write_bytes(original.read_bytes() + b"!")
    damaged = run("verify", "--data-dir", data)
    assert damaged.exit_code == 1
    assert damaged.stderr.startswith(f"nianbao verify: originals: {original.name} is damaged")


def test_verify_names_what_an_interrupted_write_left_and_still_passes(tmp_path):
    with Archive(tmp_path) as archive:
        archive.record_fetch(url="http://127.0.0.1/a.html", status=200, body=b"<p>a</p>", role="report_page")
        leftover = archive.store.root / "ab" / "cd" / ".tmp-x1y2"
    leftover.parent.mkdir(parents=True, exist_ok=True)
    leftover.write_bytes(b"half a fi")

    result = run("verify", "--data-dir", tmp_path)

    assert (result.exit_code, result.stdout.strip()) == (0, "1 originals checked, 0 problems")
    assert result.stderr.startswith(f"nianbao verify: note: {leftover} was left by an interrupted write")


def test_export_needs_a_target(tmp_path):
    result = run("export", "--data-dir", tmp_path)
    assert result.exit_code == 2 and "--warc" in result.stderr


def test_the_installed_command_runs(tmp_path):
    data = str(tmp_path / "d")
    missing = subprocess.run([NIANBAO, "verify", "--data-dir", data], capture_output=True, text=True)
    assert missing.returncode == 1
    assert missing.stderr.startswith("nianbao verify: no such folder")
    assert not (tmp_path / "d").exists()  # verify creates nothing
    subprocess.run([NIANBAO, "db", "init", "--data-dir", data], check=True, capture_output=True)
    result = subprocess.run([NIANBAO, "verify", "--data-dir", data], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0 originals checked, 0 problems"


def test_a_mistyped_data_dir_is_an_error_not_a_new_archive(tmp_path):
    for command in (["parse"], ["export", str(tmp_path / "out")]):
        result = run(*command, "--data-dir", tmp_path / "typo")
        assert result.exit_code == 1
        assert result.stderr.strip() == f"Error: no archive in {tmp_path / 'typo'} (nianbao db init or nianbao import creates one)"
    assert not (tmp_path / "typo").exists()
