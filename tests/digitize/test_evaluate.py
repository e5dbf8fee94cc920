"""The quickstart hook: render a record clean and distorted, digitise, score; a second call reuses the work."""

import numpy as np

from vaescan.digitize.evaluate import eval_records, evaluate_pages


def test_evaluate_pages_and_resume(tmp_path):
    records = eval_records(1, seed=3, noiseless=True)
    table = evaluate_pages(records, tmp_path, n_pages=1, seed=0)
    assert list(table.page) == ["clean00", "distorted00"]
    assert (tmp_path / "clean00.png").exists() and (tmp_path / "clean00.hea").exists()
    assert (tmp_path / "pages.csv").exists()
    clean = table.set_index("page").loc["clean00"]
    assert clean.error == "" and clean.snr_db >= 8.0, clean.snr_db      # stated: >= 8 dB at 150 dpi
    (tmp_path / "clean00.png").unlink()
    again = evaluate_pages(records, tmp_path, n_pages=1, seed=0)        # read back, not redone
    assert not (tmp_path / "clean00.png").exists()
    assert np.allclose(again.snr_db.values, table.snr_db.values, atol=1e-3)
