import functools

from vaescan.batch import run_batch
from vaescan.errors import VaescanInputError


def _square_or_fail(x: int, bad: int) -> int:
    if x == bad:
        raise VaescanInputError(f"rec{x}", "unusable")
    return x * x


def test_bad_items_are_skipped_with_reasons_and_order_kept():
    fn = functools.partial(_square_or_fail, bad=2)
    for jobs in (1, 2):
        res = run_batch(list(range(5)), fn, jobs=jobs, progress=False)
        assert res.done == [(0, 0), (1, 1), (3, 9), (4, 16)]
        assert res.skipped == [(2, "rec2: unusable")]
        assert res.summary() == "4 records done, 1 skipped"


def test_bugs_are_not_swallowed():
    def boom(x):
        raise ZeroDivisionError("bug")

    try:
        run_batch([1], boom, progress=False)
    except ZeroDivisionError:
        return
    raise AssertionError("a non-vaescan error must propagate")


def test_write_failures_lists_every_item_and_removes_a_stale_file(tmp_path):
    import csv

    from vaescan.batch import write_failures

    path = tmp_path / "failures.csv"
    skipped = [(f"r{i}", f"r{i}: reason, with a comma {i}") for i in range(30)]
    assert write_failures(skipped, path) == path
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["item"], r["reason"]) for r in rows] == skipped
    assert write_failures([], path) is None and not path.exists()


_ORPHAN_PARENT = """
import functools, os, sys, time
sys.path.insert(0, {repo!r})
from tests.test_batch import _sleep_and_log
from vaescan.batch import run_batch
run_batch(list(range(4)), functools.partial(_sleep_and_log, {log!r}), jobs=2, progress=False)
"""


def _sleep_and_log(log: str, x: int) -> int:
    import os
    import time

    with open(log, "a") as fh:
        fh.write(f"{os.getpid()}\n")
    time.sleep(60)
    return x


def _alive(pid: int) -> bool:
    import os

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (dead, not yet reaped) counts as gone
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ")[-1][0] != "Z"
    except OSError:
        return True


def test_workers_die_with_a_parent_killed_with_sigkill(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    log = tmp_path / "pids.txt"
    repo = str(Path(__file__).resolve().parents[1])
    parent = subprocess.Popen([sys.executable, "-c", _ORPHAN_PARENT.format(repo=repo, log=str(log))])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not log.exists() or len(log.read_text().split()) < 2):
        time.sleep(0.1)
    workers = [int(p) for p in log.read_text().split()]
    assert len(workers) == 2
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(_alive(p) for p in workers):
        time.sleep(0.1)
    orphans = [p for p in workers if _alive(p)]
    for p in orphans:
        os.kill(p, signal.SIGKILL)
    assert not orphans, f"workers {orphans} outlived their parent"
