"""The cron job's lock and summary, in-process (the subprocess runs are in test_run.py)."""

import pytest

from nianbao.run import RunLocked, RunSummary, run_lock


def test_the_lock_admits_one_run_at_a_time_and_names_the_holder(tmp_path):
    with run_lock(tmp_path):
        with pytest.raises(RunLocked, match=r"another nianbao run holds .*nianbao.lock \(pid \d+ since "):
            with run_lock(tmp_path):
                pass
    with run_lock(tmp_path):  # released when the first run ended
        pass


def test_a_run_that_loaded_nothing_because_everything_failed_is_a_failure():
    assert not RunSummary(failed={"k": "unreadable"}).ok
    assert RunSummary(new=["a"], failed={"k": "unreadable"}).ok  # one bad report does not fail the job
    assert not RunSummary(new=["a"], crawl_error="crawl run 3 failed").ok
    assert RunSummary().ok  # nothing published, nothing new: a quiet night


def test_the_summary_line_counts_each_kind():
    summary = RunSummary(new=["a", "b"], changed=["c"], unchanged=["d"], reparsed=["d"], failed={"e": "x"},
                         seconds=12.25)
    assert summary.line() == ("nianbao run ok: 2 new, 1 changed, 1 unchanged, 1 failed reports "
                              "(1 unchanged re-read by a new parser version) in 12.2 s")
