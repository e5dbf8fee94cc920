"""Tests that need the real sample data (``../shared/data``) skip without it, but fail on CI, which has it."""

import pytest

from tests.conftest import require_shared_data, shared_data_dir


@pytest.mark.parametrize("ci, outcome", [("true", pytest.fail.Exception), ("", pytest.skip.Exception),
                                         ("false", pytest.skip.Exception)])
def test_missing_shared_data_fails_on_ci_and_skips_elsewhere(tmp_path, monkeypatch, ci, outcome):
    monkeypatch.setenv("VAESCAN_SHARED_DATA", str(tmp_path / "nowhere"))
    monkeypatch.setenv("CI", ci)
    with pytest.raises((pytest.fail.Exception, pytest.skip.Exception)) as caught:  # either, so a skip is seen
        require_shared_data()
    assert caught.type is outcome and "real sample data not found" in str(caught.value), caught


def test_shared_data_is_found_where_it_is(tmp_path, monkeypatch):
    (tmp_path / "ptbxl_sample").mkdir()
    (tmp_path / "real_photos").mkdir()
    monkeypatch.setenv("VAESCAN_SHARED_DATA", str(tmp_path))
    monkeypatch.setenv("CI", "true")
    assert require_shared_data() == shared_data_dir() == tmp_path
