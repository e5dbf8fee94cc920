"""``vaescan render``, ``digitize`` and ``digitize-eval`` from the command line."""

import json

import numpy as np
import pytest

from vaescan.cli.main import main
from vaescan.data.records import read_record
from vaescan.digitize.evaluate import record_snr, truth_signals


@pytest.mark.parametrize("command", ["render", "digitize", "digitize-eval"])
def test_help(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0 and command in capsys.readouterr().out


def test_render_then_digitize_batch(ptbxl_record, tmp_path, capsys):
    page = tmp_path / "p.png"
    assert main(["-q", "render", str(ptbxl_record), "-o", str(page), "--dpi", "100"]) == 0
    truth = json.loads(page.with_suffix(".json").read_text())
    assert truth["layout"] == "3x4+II" and len(truth["panels"]) == 13
    (tmp_path / "bad.jpg").write_text("nope")
    out = tmp_path / "out"
    assert main(["-q", "digitize", str(page), str(tmp_path / "bad.jpg"), "-o", str(out)]) == 0
    record = read_record(out / "p")
    assert record.fs == 500.0 and record.signal.shape == (5000, 12)
    assert np.isfinite(record.signal[:, 1]).all()               # lead II: the 10 s rhythm strip
    assert np.isnan(record.signal[3000, 0])                     # lead I: shown for 0-2.5 s only
    x, shown = truth_signals(read_record(ptbxl_record), truth)
    snr = record_snr(x, record.signal, shown, 500.0)          # the traces read back: 100 dpi, real record
    assert np.nanmean(snr["snr_db"]) >= 3.0, snr              # dB; measured 4.44
    assert np.nanmean(snr["snr_shift_db"]) >= 7.0, snr        # dB; measured 9.37
    report = json.loads((out / "p.json").read_text())
    assert report["layout"] == "3x4+II" and "quality" in report
    assert "1 images done, 1 skipped" in capsys.readouterr().out
    assert main(["-q", "digitize", str(tmp_path / "bad.jpg"), "-o", str(out)]) == 2
    assert main(["-q", "render", str(ptbxl_record), "-o", str(tmp_path / "x.png"), "--layout", "5x5"]) == 2


def _demo_png(path):
    from vaescan.data.leads import LEADS
    from vaescan.data.records import Record
    from vaescan.pages.render import PageStyle, page_write

    t = np.arange(5000) / 500.0
    beats = np.exp(-((t % 0.8) - 0.4) ** 2 / 2e-4)
    png, _ = page_write(Record(np.outer(beats, np.linspace(0.5, 1.5, 12)), 500.0, list(LEADS)), path,
                        PageStyle(dpi=100))
    return png


def test_digitize_refuses_two_images_of_one_name(tmp_path, capsys):
    """a/page.png and b/page.png (or page.png and page.jpg) would be written over each other: refused before
    any work, naming both (it reported '2 images done' and kept one)."""
    for name in ("a/page.png", "b/page.png", "b/page.jpg"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    for second in ("b/page.png", "b/page.jpg"):
        out = tmp_path / "out"
        assert main(["-q", "digitize", str(tmp_path / "a/page.png"), str(tmp_path / second), "-o", str(out)]) == 2
        err = capsys.readouterr().err.strip()
        assert "\n" not in err and str(tmp_path / "a/page.png") in err and str(tmp_path / second) in err, err
        assert "would both be written as record 'page'" in err and not out.exists()


def test_digitize_folder_failures_listed_and_rerun_skips(tmp_path, capsys):
    """A folder is expanded to its images (it said 'file not found'); every failure is listed at the end and
    in failures.csv; a re-run skips images already digitised, --force redoes them."""
    import csv

    pages = tmp_path / "pages"
    pages.mkdir()
    _demo_png(pages / "good.png")
    (pages / "good.json").unlink()                      # the truth file beside it is not an image
    (pages / "bad.jpg").write_text("nope")
    (pages / "notes.txt").write_text("not an image suffix: left out")
    from vaescan.pages.image import image_write
    image_write(pages / "tiny.png", np.full((100, 100, 3), 255, np.uint8))
    out = tmp_path / "out"
    assert main(["-q", "digitize", str(pages), "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "1 images done, 2 skipped" in text, text
    tail = text[text.index("failed (2)"):]
    assert f"{pages / 'bad.jpg'}: not an image" in tail and f"{pages / 'tiny.png'}: image is 100x100 px" in tail
    with open(out / "failures.csv") as f:
        rows = list(csv.DictReader(f))
    assert [r["image"] for r in rows] == [str(pages / "bad.jpg"), str(pages / "tiny.png")]
    assert rows[0]["reason"].startswith("not an image") and "too small to hold an ECG grid" in rows[1]["reason"]
    assert sorted(p.name for p in out.iterdir()) == ["failures.csv", "good.dat", "good.hea", "good.json"]
    stamp = (out / "good.json").stat().st_mtime_ns

    assert main(["-q", "digitize", str(pages), "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "1 image(s) already digitised" in text and "0 images done, 2 skipped, 1 already done before" in text
    assert (out / "good.json").stat().st_mtime_ns == stamp
    assert main(["-q", "digitize", str(pages / "good.png"), "-o", str(out), "--force"]) == 0
    assert "1 images done, 0 skipped" in capsys.readouterr().out
    assert (out / "good.json").stat().st_mtime_ns > stamp
    assert list(csv.reader(open(out / "failures.csv"))) == [["image", "reason"]]

    # another image of the same name into the same folder: refused for that image, the record kept
    other = tmp_path / "other"
    other.mkdir()
    (other / "good.png").write_bytes((pages / "good.png").read_bytes())
    assert main(["-q", "digitize", str(other / "good.png"), "-o", str(out)]) == 2
    captured = capsys.readouterr()
    assert "holds the record of another image" in captured.out
    assert json.loads((out / "good.json").read_text())["image"] == str(pages / "good.png")


@pytest.mark.parametrize("under", [False, True])
def test_output_that_is_a_file(tmp_path, capsys, under):
    """-o naming an existing file (or a path under one): one line before any work (it was a traceback)."""
    taken = tmp_path / "taken.txt"
    taken.write_text("keep me")
    out = taken / "sub" if under else taken
    png = _demo_png(tmp_path / "p.png")          # a good page: the old code digitised it, then failed to write
    assert main(["-q", "digitize", str(png), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and (f"{taken} is a file" in err if under else "exists and is a file" in err), err
    assert taken.read_text() == "keep me"


def test_pulse_lag_is_checked_and_applies_to_pages_only(tmp_path, capsys):
    # a pulse stroke 50 ms from the trace's start is not where the trace is drawn from: refused, exit 2
    assert main(["-q", "digitize", str(tmp_path / "page.png"), "-o", str(tmp_path / "out"),
                 "--pulse-lag-ms", "50"]) == 2
    assert "pulse_lag_ms must lie within +-40 ms" in capsys.readouterr().err
    # vaescan's own pages join pulse and trace by a lead-in: the option is for --pages folders
    assert main(["-q", "digitize-eval", "--n", "2", "-o", str(tmp_path / "eval"), "--pulse-lag-ms", "3"]) == 2
    assert "--pulse-lag-ms applies to --pages" in capsys.readouterr().err


def test_segmenter_option_reaches_the_pipeline(tmp_path, monkeypatch, capsys):
    import vaescan.digitize.pipeline as pipeline

    calls = []

    def veto(ink, px_per_mm, threshold=0.5):
        calls.append(threshold)
        return np.ones(ink.shape, bool)

    monkeypatch.setattr(pipeline, "trace_mask_learned", veto)
    png = _demo_png(tmp_path / "p.png")
    assert main(["-q", "digitize", str(png), "-o", str(tmp_path / "out")]) == 0 and not calls
    assert main(["-q", "digitize", str(png), "-o", str(tmp_path / "out"), "--force", "--segmenter", "learned"]) == 0
    assert calls == [pipeline.LEARNED_KEEP]
    with pytest.raises(SystemExit) as exc:
        main(["digitize", str(png), "-o", str(tmp_path / "out"), "--segmenter", "unet"])
    assert exc.value.code == 2


def test_settings_of_a_pages_folder_evaluation_reach_every_page(tmp_path, monkeypatch):
    """``digitize-eval --pages DIR --pulse-lag-ms 3 --segmenter learned``: one DigitizeConfig carries both to each
    page's digitiser, and the summary says what was run."""
    import vaescan.digitize.pipeline as pipeline
    from vaescan.data.leads import LEADS
    from vaescan.data.records import write_record
    from vaescan.digitize.evaluate import eval_records
    from vaescan.pages.image import image_write
    from vaescan.pages.render import PageStyle, ecg_render

    seen = []
    digitize = pipeline.image_digitize

    def spy(image, config=None, **kw):
        seen.append((config.pulse_lag_ms, config.segmenter))
        return digitize(image, config, **kw)

    monkeypatch.setattr(pipeline, "image_digitize", spy)
    record = eval_records(1, seed=1, noiseless=True)[0]
    image, truth = ecg_render(record, PageStyle(dpi=100))
    x, shown = truth_signals(record, truth)
    (tmp_path / "pages" / "a_01").mkdir(parents=True)
    image_write(tmp_path / "pages" / "a_01" / "page.png", image)
    write_record(type(record)(np.where(shown, x, np.nan), 500.0, list(LEADS)), tmp_path / "pages" / "a_01" / "truth")
    out = tmp_path / "eval"
    assert main(["-q", "digitize-eval", "--pages", str(tmp_path / "pages"), "-o", str(out), "--jobs", "1",
                 "--pulse-lag-ms", "3", "--segmenter", "learned"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert seen == [(3.0, "learned")] and summary["pulse_lag_ms"] == 3.0 and summary["segmenter"] == "learned"
    assert summary["command"].endswith("--pulse-lag-ms 3 --segmenter learned")
