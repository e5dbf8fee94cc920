"""``vaescan disentangle``: CSV in, JSON report out, clear errors on unusable input."""

import numpy as np
import pandas as pd
import pytest

from vaescan.cli.main import main
from vaescan.io import read_json
from vaescan.stats.disentangle import disentanglement_report


@pytest.fixture
def csvs(tmp_path):
    rng = np.random.default_rng(0)
    n = 400
    ids = [f"rec{i:04d}" for i in range(n)]
    factors = pd.DataFrame({"record_id": ids, "hr_bpm": 60 + 15 * rng.random(n),
                            "lbbb": rng.integers(0, 2, n), "split": "train"})
    latents = pd.DataFrame({"record_id": ids, "z0": rng.normal(size=n), "z1": np.log(factors.hr_bpm),
                            "z2": factors.lbbb + 0.2 * rng.normal(size=n)})
    # rows in a different order: the command must match them on record_id
    latents.iloc[::-1].to_csv(tmp_path / "latents.csv", index=False)
    factors.to_csv(tmp_path / "factors.csv", index=False)
    return tmp_path, latents, factors


def test_disentangle_writes_the_report_of_the_matched_rows(csvs, capsys):
    tmp, latents, factors = csvs
    out = tmp / "rep" / "report.json"
    code = main(["-q", "disentangle", str(tmp / "latents.csv"), str(tmp / "factors.csv"), "-o", str(out),
                 "--factor-columns", "hr_bpm,lbbb", "--trees", "20", "--plot", str(tmp / "mi.png")])
    assert code == 0
    report = read_json(out)
    expected = disentanglement_report(latents[["z0", "z1", "z2"]].iloc[::-1].to_numpy(),
                                      factors[["hr_bpm", "lbbb"]].iloc[::-1].to_numpy(), ["hr_bpm", "lbbb"],
                                      latent_names=["z0", "z1", "z2"], n_estimators=20)
    assert report["mig"] == pytest.approx(expected["mig"]) and report["sap"] == pytest.approx(expected["sap"])
    assert [f["mig"]["best_latent"] for f in report["factors"]] == ["z1", "z2"]
    assert [f["kind"] for f in report["factors"]] == ["continuous", "binary"]
    assert "MIG" in capsys.readouterr().out
    assert (tmp / "mi.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("edit, message", [
    (lambda lat, fac: (lat.iloc[:10], fac.drop(columns="record_id")), "rows but the latents have 10"),
    (lambda lat, fac: (lat, fac.iloc[5:]), "5 record_id(s) of the latents have no factor row"),
    (lambda lat, fac: (lat.assign(z0=np.nan), fac), "row(s) hold empty or non-finite values"),
    (lambda lat, fac: (lat, fac.drop(columns="split").assign(hr_bpm=1.0)), "factor 'hr_bpm' is constant"),
    (lambda lat, fac: (lat, fac), "column(s) ['split'] are not numeric"),
])
def test_unusable_input_exits_2_with_one_line(csvs, edit, message, capsys):
    tmp, latents, factors = csvs
    lat, fac = edit(latents, factors)
    lat.to_csv(tmp / "l.csv", index=False)
    fac.to_csv(tmp / "f.csv", index=False)
    assert main(["-q", "disentangle", str(tmp / "l.csv"), str(tmp / "f.csv"), "--trees", "5",
                 "-o", str(tmp / "r.json")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("vaescan: error: ") and err.count("\n") == 1 and message in err
    assert not (tmp / "r.json").exists()


def test_missing_file_names_the_file(tmp_path, capsys):
    assert main(["disentangle", str(tmp_path / "nope.csv"), str(tmp_path / "f.csv")]) == 2
    assert f"{tmp_path / 'nope.csv'}: file not found" in capsys.readouterr().err
