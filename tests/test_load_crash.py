"""A load killed with SIGKILL leaves only whole reports behind."""

import os
import signal
import subprocess
import sys

from archive import Archive
from tests.conftest import ROOT

LOADER = """
import sys
from archive import Archive
from archive.load import load_record
from nianbao.testbed.synthetic import random_record

with Archive(sys.argv[1]) as archive:
    for n in range(100000):
        load_record(archive.db, random_record(n), report_key=f"r{n}", sources=[], parser_version="1")
        print(n, flush=True)
"""


def test_a_killed_load_leaves_no_half_loaded_report(tmp_path):
    loader = subprocess.Popen([sys.executable, "-c", LOADER, str(tmp_path)], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    try:
        for _ in range(40):  # let it commit some reports, then kill it mid-way through another
            loader.stdout.readline()
    finally:
        os.kill(loader.pid, signal.SIGKILL)
        loader.wait()

    archive = Archive(tmp_path)
    assert archive.db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    counts = archive.db.execute("""
        SELECT r.id,
               (SELECT COUNT(*) FROM applications a WHERE a.report_id = r.id),
               (SELECT COUNT(*) FROM sections s WHERE s.report_id = r.id),
               (SELECT COUNT(*) FROM checks c WHERE c.report_id = r.id),
               (SELECT COUNT(*) FROM applications_wide_cells w WHERE w.report_id = r.id)
        FROM reports r""").fetchall()
    assert len(counts) >= 40
    assert {row[1:] for row in counts} == {(25 * 7, 6, 5, 1)}  # every report whole
    orphans = archive.db.execute(
        "SELECT COUNT(*) FROM applications WHERE report_id NOT IN (SELECT id FROM reports)").fetchone()
    assert orphans == (0,)
