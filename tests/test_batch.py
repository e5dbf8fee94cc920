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
