"""Re-run the hostile cases named in issue 14 through the real command line.

    .venv/bin/python scripts/probe_hostile.py -o docs/results/probe_hostile.json

Each case builds its input in a temporary folder, runs ``python -m vaescan ...`` and is classified:

- ``clear_error``: exit 2, stderr's last line starts with ``vaescan: error:``, no ``Traceback``;
- ``ok``: exit 0 where a correct result is expected, and the named check passed;
- ``traceback`` / ``timeout`` / ``wrong`` (exit 0 where the input cannot be measured honestly, or the
  check failed) / ``other``.

This re-creates the cases named in the issue, not the original probe's 238 cases (not available).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PTBXL_SAMPLE = Path("/work/shared/data/ptbxl_sample")
RESULTS: list[dict] = []


def vaescan(*args: object, timeout: float = 120) -> tuple[int | None, str, str, float]:
    cmd = [sys.executable, "-m", "vaescan", *map(str, args)]
    t0 = time.time()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
        return p.returncode, p.stdout, p.stderr, time.time() - t0
    except subprocess.TimeoutExpired as exc:
        err = exc.stderr.decode() if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        return None, "", err, time.time() - t0


def last_line(text: str) -> str:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def case(group: str, name: str, args: list, expect: str, check=None, check_name: str = "", timeout: float = 120,
         short_args: list | None = None) -> dict:
    """Run one case. ``expect``: "error" (only a clear error is right), "ok" (a correct result is expected,
    ``check()`` says whether it is), "either" (a clear error or a checked result are both right)."""
    rc, out, err, secs = vaescan(*args, timeout=timeout)
    note = ""
    if rc is None:
        cls = "timeout"
    elif "Traceback" in err:
        cls = "traceback"
    elif rc == 2 and last_line(err).startswith("vaescan: error:"):
        cls = "clear_error"
        if expect == "ok":
            note = "a correct result was expected"
    elif rc == 0:
        if expect == "error":
            cls, note = "wrong", "exit 0 on an input that cannot be handled honestly"
        else:
            good, why = check() if check else (True, "")
            cls = "ok" if good else "wrong"
            note = f"check: {check_name}" + (f" ({why})" if why else "")
    else:
        cls = "other"
    rec = {"group": group, "case": name, "command": "vaescan " + " ".join(map(str, short_args or args)),
           "expected": expect, "exit_code": rc, "class": cls, "seconds": round(secs, 1),
           "last_stderr_line": last_line(err)[:400], "note": note}
    RESULTS.append(rec)
    print(f"[{cls:11s}] {group}/{name}: rc={rc} {rec['last_stderr_line'][:150]}", flush=True)
    return rec


def rel(path: Path, tmp: Path) -> str:
    return str(path).replace(str(tmp), "$TMP")


# ---------------------------------------------------------------- inputs


def set_header(hea: Path, fs: str | None = None, gain: str | None = None) -> None:
    lines = hea.read_text().splitlines()
    first = lines[0].split()
    if fs is not None:
        first[2] = fs
    lines[0] = " ".join(first)
    if gain is not None:
        nsig = int(first[1])
        for i in range(1, 1 + nsig):
            tok = lines[i].split()
            g = tok[2]
            # gain[(baseline)][/units]
            units = g[g.index("/"):] if "/" in g else ""
            base = g[g.index("("):g.index(")") + 1] if "(" in g else ""
            tok[2] = f"{gain}{base}{units}"
            lines[i] = " ".join(tok)
    hea.write_text("\n".join(lines) + "\n")


def records_in(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.hea"))


def features_rows(csv: Path) -> tuple[bool, str]:
    import pandas as pd

    if not csv.is_file():
        return False, "no CSV written"
    df = pd.read_csv(csv)
    return len(df) > 0, f"{len(df)} rows"


# ---------------------------------------------------------------- groups


def group_digitize(tmp: Path, synth: Path) -> None:
    from PIL import Image

    d = tmp / "dig"
    d.mkdir()
    Image.new("RGB", (100, 100), "white").save(d / "small.png")
    case("digitize", "100x100 png", ["digitize", d / "small.png", "-o", d / "out_small"], "error",
         short_args=["digitize", "small.png", "-o", "out_small"])
    Image.new("RGB", (50000, 100), "white").save(d / "strip.png")
    case("digitize", "50000x100 png", ["digitize", d / "strip.png", "-o", d / "out_strip"], "error",
         short_args=["digitize", "strip.png", "-o", "out_strip"])

    rec = records_in(synth)[0].with_suffix("")
    page = d / "page.png"
    rc, _, err, _ = vaescan("render", rec, "-o", page)
    if rc != 0:
        print("render failed:", last_line(err))
        return
    im = Image.open(page).convert("L")
    arr = (np.asarray(im).astype(np.uint32) * 257).astype(np.uint16)
    Image.fromarray(arr.astype(np.int32), mode="I").convert("I;16").save(d / "page16.png")
    mode16 = Image.open(d / "page16.png").mode

    def digitised(out: Path, stems: list[str]):
        def check():
            missing = [s for s in stems if not (out / f"{s}.hea").is_file()]
            return (not missing), (f"missing {missing}" if missing else f"{len(stems)} record(s) written")
        return check

    case("digitize", f"16-bit greyscale page ({mode16})", ["digitize", d / "page16.png", "-o", d / "out16"], "either",
         check=digitised(d / "out16", ["page16"]), check_name="record page16.hea written",
         short_args=["digitize", "page16.png", "-o", "out16"])
    case("digitize", "8-bit page (control)", ["digitize", page, "-o", d / "out8"], "ok",
         check=digitised(d / "out8", ["page"]), check_name="record page.hea written",
         short_args=["digitize", "page.png", "-o", "out8"])

    folder = d / "folder"
    folder.mkdir()
    shutil.copy(page, folder / "p1.png")
    shutil.copy(page, folder / "p2.png")
    case("digitize", "a folder of images", ["digitize", folder, "-o", d / "out_folder"], "ok",
         check=digitised(d / "out_folder", ["p1", "p2"]), check_name="both pages digitised",
         short_args=["digitize", "folder", "-o", "out_folder"])

    (d / "a").mkdir()
    (d / "b").mkdir()
    shutil.copy(page, d / "a" / "page.png")
    shutil.copy(page, d / "b" / "page.png")
    case("digitize", "same name in two folders", ["digitize", d / "a" / "page.png", d / "b" / "page.png",
                                                 "-o", d / "out_same"], "error",
         short_args=["digitize", "a/page.png", "b/page.png", "-o", "out_same"])

    (d / "fake.png").write_text("this is not an image\n")
    case("digitize", "text file named .png", ["digitize", d / "fake.png", "-o", d / "out_fake"], "error",
         short_args=["digitize", "fake.png", "-o", "out_fake"])

    (d / "existing.txt").write_text("x")
    case("digitize", "-o an existing file", ["digitize", page, "-o", d / "existing.txt"], "error",
         short_args=["digitize", "page.png", "-o", "existing.txt"])
    case("digitize", "-o under an existing file", ["digitize", page, "-o", d / "existing.txt" / "sub"], "error",
         short_args=["digitize", "page.png", "-o", "existing.txt/sub"])


VAE_BASE = """\
output: {out}
data:
  path: {data}
  jobs: 1
vae:
  latent_dim: 4
  beta: 1.0
  warmup_epochs: 1
  epochs: 1
  batch_size: 8
  lr: 0.003
  obs_sd_mv: 0.05
  anchor_features: []
  seed: 0
  device: cpu
"""


def vae_yaml(data_dir: Path, out_dir: Path, **changes: str) -> str:
    lines = VAE_BASE.format(out=out_dir, data=data_dir).splitlines()
    for key, value in changes.items():
        if key == "data":
            lines = [ln for ln in lines if not ln.startswith(("data:", "  path:", "  jobs:"))]
            lines.insert(1, f"data: {value}")
            continue
        for i, ln in enumerate(lines):
            if ln.strip().startswith(f"{key}:"):
                lines[i] = ln[:ln.index(key)] + f"{key}: {value}"
    return "\n".join(lines) + "\n"


def group_configs(tmp: Path, cohort: Path) -> Path | None:
    d = tmp / "cfg"
    d.mkdir()
    bad = [
        ("epochs -5", {"epochs": "-5"}), ("epochs 0", {"epochs": "0"}), ("epochs \"three\"", {"epochs": '"three"'}),
        ("epochs 3.7", {"epochs": "3.7"}), ("batch_size 0", {"batch_size": "0"}), ("lr \"fast\"", {"lr": '"fast"'}),
        ("lr -1", {"lr": "-1"}), ("beta [1,2]", {"beta": "[1, 2]"}), ("latent_dim 2.5", {"latent_dim": "2.5"}),
        ("latent_dim 0", {"latent_dim": "0"}), ("obs_sd_mv 0", {"obs_sd_mv": "0"}),
        ("data: somewhere", {"data": "somewhere"}), ("jobs \"two\"", {"jobs": '"two"'}),
    ]
    for i, (name, changes) in enumerate(bad):
        cfg = d / f"bad{i}.yaml"
        out = d / f"run_bad{i}"
        cfg.write_text(vae_yaml(cohort, out, **changes))
        case("train-vae config", name, ["train-vae", "--config", cfg], "error", timeout=60,
             short_args=["train-vae", "--config", f"bad{i}.yaml  # {name}"])
        if (out / "vae_weights.pt").exists():
            RESULTS[-1]["note"] += "; vae_weights.pt was saved"
    # duplicated keys
    text = vae_yaml(cohort, d / "run_dupy").replace("  lr: 0.003\n", "  lr: 0.003\n  lr: 0.001\n")
    (d / "dup.yaml").write_text(text)
    case("train-vae config", "duplicated key (YAML)", ["train-vae", "--config", d / "dup.yaml"], "error", timeout=60,
         short_args=["train-vae", "--config", "dup.yaml"])
    import yaml

    cfg = yaml.safe_load(vae_yaml(cohort, d / "run_dupj"))
    js = json.dumps(cfg, indent=1).replace('"lr": 0.003', '"lr": 0.003, "lr": 0.001')
    (d / "dup.json").write_text(js)
    case("train-vae config", "duplicated key (JSON)", ["train-vae", "--config", d / "dup.json"], "error", timeout=60,
         short_args=["train-vae", "--config", "dup.json"])
    (d / "broken.yaml").write_text("vae:\n  latent_dim: [4\n  epochs: 1\n: :\n")
    case("train-vae config", "malformed YAML", ["train-vae", "--config", d / "broken.yaml"], "error", timeout=60,
         short_args=["train-vae", "--config", "broken.yaml"])
    (d / "broken.json").write_text('{"vae": {"epochs": 1,}')
    case("train-vae config", "malformed JSON", ["train-vae", "--config", d / "broken.json"], "error", timeout=60,
         short_args=["train-vae", "--config", "broken.json"])

    # control: the valid config trains (1 epoch, latent 4, 14 train records); its run folder feeds group 3
    good = d / "run_good"
    (d / "good.yaml").write_text(vae_yaml(cohort, good))
    case("train-vae config", "valid config (control, 1 epoch)", ["train-vae", "--config", d / "good.yaml"], "ok",
         check=lambda: ((good / "run.json").is_file()
                        and json.loads((good / "run.json").read_text())["status"] == "done", ""),
         check_name="run.json status done", timeout=300,
         short_args=["train-vae", "--config", "good.yaml"])
    if RESULTS[-1]["class"] == "ok":
        return good
    return None


def group_runs(tmp: Path, good: Path | None, cohort: Path) -> None:
    d = tmp / "runs"
    d.mkdir()
    scan = None
    if good is not None:  # a tiny SCAN run (1 epoch) so that predict reaches the damaged files
        (d / "scan.yaml").write_text(f"output: {d / 'scan_good'}\nvae_run: {good}\ndata:\n  path: \"\"\n"
                                     "binary: [NORM]\ncontinuous: [age]\nscan:\n  epochs: 1\n  batch_size: 8\n"
                                     "  device: cpu\n")
        rc, _, err, _ = vaescan("train-scan", "--config", d / "scan.yaml", timeout=300)
        if rc == 0:
            scan = d / "scan_good"
            rec = case("run folder", "SCAN control: predict with the intact run", ["predict", scan, cohort, "-o",
                       d / "scan_good.csv"], "ok", check=lambda: features_rows(d / "scan_good.csv"),
                       check_name="predictions CSV has rows",
                       short_args=["predict", "SCANRUN", "COHORT", "-o", "preds.csv"])
        else:
            print("train-scan failed; predict cases skipped:", last_line(err))

    def variant(name: str) -> Path:
        run = d / name
        if good is not None:
            shutil.copytree(good, run)
        else:  # no trained run: a minimal folder (structure only)
            run.mkdir()
            (run / "run.json").write_text(json.dumps({"kind": "vae", "status": "done"}))
            (run / "vae.json").write_text(json.dumps({"latent_dim": 4}))
        return run

    def both(name: str, run: Path, marker: Path | None = None, expect: str = "error") -> None:
        # predict needs a run that predicts (SCAN): it is tried on a SCAN run with the same damage (scan_variant)
        cmd = ["traverse", run, "-o", d / f"{run.name}_trav"]
        check = (lambda: (not (marker and marker.exists()), "payload marker not created")) if marker else None
        rec = case("run folder", f"{name} (traverse)", cmd, expect, check=check, check_name="traversal done, "
                   "the damaged file is not read" if expect == "either" else "", timeout=120,
                   short_args=["traverse", "RUN", "-o", "OUT"])
        if marker is not None:
            if marker.exists():
                rec["class"], rec["note"] = "wrong", f"PICKLE PAYLOAD RAN: {marker.name} created"
                marker.unlink()
            elif "marker" not in rec["note"]:
                rec["note"] = (rec["note"] + "; " if rec["note"] else "") + "payload marker not created"

    def predict(name: str, run: Path, marker: Path | None = None) -> None:
        # a pickled file that predict does not read (checkpoint.pt, param_store.pt) may be ignored: exit 0 is right
        # when the predictions are written and the payload did not run
        expect = "either" if marker is not None else "error"
        rec = case("run folder", f"{name} (predict)", ["predict", run, cohort, "-o", d / f"{run.name}.csv"], expect,
                   check=lambda: features_rows(d / f"{run.name}.csv"), check_name="predictions written, file not read",
                   timeout=120, short_args=["predict", "SCANRUN", "COHORT", "-o", "preds.csv"])
        if marker is not None:
            if marker.exists():
                rec["class"], rec["note"] = "wrong", f"PICKLE PAYLOAD RAN: {marker.name} created"
                marker.unlink()
            else:
                rec["note"] = (rec["note"] + "; " if rec["note"] else "") + "payload marker not created"

    def scan_variant(name: str) -> Path | None:
        if scan is None:
            return None
        run = d / f"scan_{name}"
        shutil.copytree(scan, run)
        return run

    run = variant("list")
    (run / "run.json").write_text("[1, 2, 3]")
    both("run.json is a list", run)
    if (run := scan_variant("list")) is not None:
        (run / "run.json").write_text("[1, 2, 3]")
        predict("run.json is a list", run)
    run = variant("six")
    info = json.loads((run / "run.json").read_text())
    info["status"] = "six"
    (run / "run.json").write_text(json.dumps(info))
    both('run.json status "six"', run)
    if (run := scan_variant("six")) is not None:
        info = json.loads((run / "run.json").read_text())
        info["status"] = "six"
        (run / "run.json").write_text(json.dumps(info))
        predict('run.json status "six"', run)
    for name, key, value in (("latent_dim", "latent_dim", "four"), ("n_samples", "n_samples", 4e9)):
        run = variant(name)
        meta = json.loads((run / "vae.json").read_text())
        where = meta if key in meta else meta.get("config", meta)
        where[key] = value
        (run / "vae.json").write_text(json.dumps(meta))
        both(f"vae.json {'config.' if where is not meta else ''}{key}={value!r}", run)

    marker = tmp / "PWNED"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    for fname in ("checkpoint.pt", "vae_weights.pt"):
        run = variant(f"pickle_{fname.split('.')[0]}")
        with open(run / fname, "wb") as fh:
            pickle.dump(Payload(), fh)
        # a finished run's traversal reads vae_weights.pt, not checkpoint.pt; --resume reads checkpoint.pt
        both(f"{fname} is a pickled object", run, marker, expect="either" if fname == "checkpoint.pt" else "error")
        resume_reads = fname == "checkpoint.pt"
        rec = case("run folder", f"{fname} is a pickled object (train-vae --resume)",
                   ["train-vae", "--config", tmp / "cfg" / "good.yaml", "-o", run, "--resume"],
                   "error" if resume_reads else "either", timeout=120,
                   check=lambda: (not marker.exists(), "payload marker not created"),
                   check_name="resumed from the intact checkpoint.pt; the damaged weights are rewritten",
                   short_args=["train-vae", "--config", "good.yaml", "-o", "RUN", "--resume"])
        if marker.exists():
            rec["class"], rec["note"] = "wrong", "PICKLE PAYLOAD RAN: marker created"
            marker.unlink()
        elif "marker" not in rec["note"]:
            rec["note"] = (rec["note"] + "; " if rec["note"] else "") + "payload marker not created"
    if scan is not None:
        for pt in sorted(p.name for p in scan.glob("*.pt")):
            run = scan_variant(f"pickle_{pt.split('.')[0]}")
            with open(run / pt, "wb") as fh:
                pickle.dump(Payload(), fh)
            predict(f"SCAN {pt} is a pickled object", run, marker)


def group_records(tmp: Path, synth: Path) -> None:
    d = tmp / "rec"
    d.mkdir()
    src = records_in(synth)[0]

    def copy(name: str) -> Path:
        shutil.copy(src, d / f"{name}.hea")
        shutil.copy(src.with_suffix(".dat"), d / f"{name}.dat")
        text = (d / f"{name}.hea").read_text().replace(src.stem, name)
        (d / f"{name}.hea").write_text(text)
        return d / name

    case("features", "control (good record)", ["features", copy("good"), "-o", d / "good.csv"], "ok",
         check=lambda: features_rows(d / "good.csv"), check_name="features CSV has a row",
         short_args=["features", "good", "-o", "good.csv"])
    for fs in ("0.001", "-500", "2", "50"):
        r = copy(f"fs{fs.replace('.', '_').replace('-', 'm')}")
        set_header(r.with_suffix(".hea"), fs=fs)
        case("features", f"header fs {fs}", ["features", r, "-o", d / f"{r.name}.csv"], "error", timeout=120,
             short_args=["features", f"{r.name}", "-o", "f.csv"])
    for gain in ("0", "1e-9"):
        r = copy(f"gain{gain.replace('-', 'm')}")
        set_header(r.with_suffix(".hea"), gain=gain)
        case("features", f"ADC gain {gain}", ["features", r, "-o", d / f"{r.name}.csv"], "error", timeout=120,
             short_args=["features", f"{r.name}", "-o", "f.csv"])

    mix = d / "mix"
    mix.mkdir()
    names = [p.stem for p in records_in(synth)[:3]]
    for p in records_in(synth)[:3]:
        shutil.copy(p, mix / p.name)
        shutil.copy(p.with_suffix(".dat"), mix / p.with_suffix(".dat").name)
    set_header(mix / f"{names[0]}.hea", fs="0.001")

    def mixed_check():
        import pandas as pd

        out = d / "mix.csv"
        fail = d / "mix.failures.csv"
        if not out.is_file():
            return False, "no CSV"
        n = len(pd.read_csv(out))
        listed = fail.is_file() and names[0] in fail.read_text()
        return (n == 2 and listed), f"{n} rows; bad record listed in failures: {listed}"

    case("features", "folder: 1 bad (fs 0.001) + 2 good", ["features", mix, "-o", d / "mix.csv"], "ok",
         check=mixed_check, check_name="2 rows and the bad record in mix.failures.csv", timeout=180,
         short_args=["features", "mix", "-o", "mix.csv"])
    (d / "outdir").mkdir()
    case("features", "-o is a folder", ["features", d / "good", "-o", d / "outdir"], "error",
         short_args=["features", "good", "-o", "outdir/"])


PTB_DB_COLS = "ecg_id,patient_id,age,sex,scp_codes,strat_fold,filename_lr,filename_hr"
PTB_SCP = """\
,description,diagnostic,form,rhythm,diagnostic_class,diagnostic_subclass
NORM,normal ECG,1.0,,,NORM,NORM
SR,sinus rhythm,,,1.0,,
"""


def group_ptbxl(tmp: Path) -> None:
    if not PTBXL_SAMPLE.is_dir():
        print("no PTB-XL sample; skipping")
        return

    def release(name: str, patient: str = "15709", lr: str = "records100/00000/00001_lr",
                hr: str = "records500/00000/00001_hr") -> Path:
        root = tmp / "ptb" / name
        shutil.copytree(PTBXL_SAMPLE, root)
        # the sample has no metadata tables: write the two the loader reads
        (root / "ptbxl_database.csv").write_text(
            PTB_DB_COLS + "\n" + f'1,{patient},56,1,"{{\'NORM\': 100.0, \'SR\': 0.0}}",3,{lr},{hr}\n')
        (root / "scp_statements.csv").write_text(PTB_SCP)
        return root

    outside = tmp / "ptb" / "outside"
    outside.mkdir(parents=True)
    rec = PTBXL_SAMPLE / "records100" / "00000" / "00001_lr"
    for ext in (".hea", ".dat"):
        shutil.copy(rec.with_suffix(ext), outside / f"00001_lr{ext}")

    root = release("control")
    case("ptbxl", "control (record 1 at 100 Hz)",
         ["features", root, "--ptbxl-rate", "100", "-o", tmp / "ptb" / "c.csv"],
         "ok", check=lambda: features_rows(tmp / "ptb" / "c.csv"), check_name="features CSV has a row",
         short_args=["features", "PTB", "--ptbxl-rate", "100", "-o", "f.csv"])
    root = release("pid", patient="patient-A")
    case("ptbxl", "non-numeric patient_id", ["features", root, "--ptbxl-rate", "100", "-o", tmp / "ptb" / "pid.csv"],
         "ok", check=lambda: features_rows(tmp / "ptb" / "pid.csv"), check_name="features CSV has a row",
         short_args=["features", "PTB", "--ptbxl-rate", "100", "-o", "f.csv"])
    for col, rate in (("lr", "100"), ("hr", "500")):
        for kind, value in (("../", "../outside/00001_lr"), ("absolute", str(outside / "00001_lr"))):
            root = release(f"{col}_{kind.strip('./')}", **{col: value})
            case("ptbxl", f"filename_{col} {kind} path", ["features", root, "--ptbxl-rate", rate, "-o",
                                                         tmp / "ptb" / f"{col}{kind[:1]}.csv"], "error",
                 short_args=["features", "PTB", "--ptbxl-rate", rate, "-o", "f.csv",
                             f"# filename_{col}={rel(Path(value), tmp)}"])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output", type=Path, default=Path("docs/results/probe_hostile.json"))
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = ap.parse_args()
    t0 = time.time()
    tmp = Path(tempfile.mkdtemp(prefix="probe_hostile_"))
    try:
        synth = tmp / "synth1"
        rc, _, err, _ = vaescan("synth", "-n", "3", "-o", synth)
        assert rc == 0, err
        cohort = tmp / "cohort20"
        rc, _, err, _ = vaescan("synth", "-n", "20", "-o", cohort)
        assert rc == 0, err
        group_records(tmp, synth)
        group_ptbxl(tmp)
        group_digitize(tmp, synth)
        good = group_configs(tmp, cohort)
        group_runs(tmp, good, cohort)
    finally:
        if args.keep:
            print("kept", tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    counts = Counter(r["class"] for r in RESULTS)
    print("\nsummary:", ", ".join(f"{k} {v}" for k, v in sorted(counts.items())), f"({len(RESULTS)} cases)")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({
        "note": "Re-creates the hostile cases named in issue 14 (digitize images, train-vae configs, run folders, "
                "record headers, PTB-XL tables) through the real CLI; not the original probe's 238 cases, which "
                "are not available. Training cases that need more than ~20 s of CPU are skipped; the config cases "
                "fail before training. Paths in commands are shortened.",
        "python": sys.version.split()[0], "seconds": round(time.time() - t0, 1),
        "counts": dict(sorted(counts.items())), "n_cases": len(RESULTS), "cases": RESULTS,
    }, indent=1) + "\n")
    print("wrote", args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
