"""ECG records and WFDB input/output.

A :class:`Record` holds the signal in mV as (samples x leads), the sampling
rate in Hz and the lead names in the standard order of
:data:`vaescan.data.leads.LEADS`. WFDB is the exchange format: records are
written as 16-bit samples at 1 uV resolution (``adc_gain`` 1000 per mV), and
NaN (no trace, e.g. a lead a paper page does not show) survives the round trip.
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import wfdb

from vaescan.data.leads import EXTRA_LEADS, LEADS, normalise_lead_name
from vaescan.errors import VaescanInputError

_TO_MV = {"mv": 1.0, "uv": 1e-3, "µv": 1e-3, "μv": 1e-3, "v": 1e3}
_INT16_LIMIT_MV = 32.767
_ADC_GAIN = 1000.0  # digital units per mV: 1 uV resolution
_DIGITAL_NAN = -32768  # WFDB format 16 marker of a missing sample

FS_RANGE_HZ = (1.0, 100_000.0)
"""Sampling rates a record may carry (Hz). Outside this a header is not an ECG's (``fs = 0.001``); the
beat and feature stages need more (:data:`vaescan.data.beats.FS_RANGE_HZ`)."""
GAIN_RANGE_PER_MV = (1.0, 1e6)
"""Plausible ADC gains in units per mV: 1 mV to 1 nV per unit (PTB-XL 1000, MIT-BIH 200)."""
MAX_ABS_MV = 100.0
"""No ECG lead reaches 100 mV (QRS peaks are a few mV, the 16-bit WFDB limit at 1 uV is 32.8 mV): a record
beyond it has a wrong gain or unit."""
_BYTES_PER_SAMPLE = {"8": 1.0, "16": 2.0, "24": 3.0, "32": 4.0, "61": 2.0, "80": 1.0, "160": 2.0,
                     "212": 1.5, "310": 4 / 3, "311": 4 / 3}


@dataclass
class Record:
    """A multi-lead ECG: ``signal`` in mV shaped (samples, leads), ``fs`` in Hz, ``sig_name`` lead names.

    Example
    -------
    >>> import numpy as np
    >>> rec = Record(np.zeros((5000, 12)), fs=500.0, sig_name=list(LEADS), name="demo")
    >>> rec.duration_s, rec.lead("V1").shape
    (10.0, (5000,))
    """

    signal: np.ndarray
    fs: float
    sig_name: list[str]
    name: str = "record"
    comments: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.signal = np.asarray(self.signal, dtype=np.float64)
        if self.signal.ndim != 2 or self.signal.shape[1] != len(self.sig_name):
            raise VaescanInputError(
                self.name,
                f"signal shape {self.signal.shape} does not match {len(self.sig_name)} lead names",
            )
        try:
            fs = float(self.fs)
        except (TypeError, ValueError):
            fs = math.nan
        if not FS_RANGE_HZ[0] <= fs <= FS_RANGE_HZ[1]:
            raise VaescanInputError(
                self.name, f"sampling rate {self.fs!r} Hz is not an ECG's (expected {FS_RANGE_HZ[0]:g} to "
                           f"{FS_RANGE_HZ[1]:g} Hz)")
        self.fs = fs

    @property
    def n_samples(self) -> int:
        """Number of samples per lead."""
        return int(self.signal.shape[0])

    @property
    def duration_s(self) -> float:
        """Duration in seconds."""
        return self.n_samples / self.fs

    def lead(self, name: str) -> np.ndarray:
        """Return one lead's signal (mV) by its standard name."""
        try:
            return self.signal[:, self.sig_name.index(name)]
        except ValueError:
            raise VaescanInputError(self.name, f"has no lead {name!r} (leads: {self.sig_name})") from None


def _record_base(path: str | os.PathLike[str]) -> Path:
    """Strip a ``.hea``/``.dat`` suffix: WFDB names a record by its path without extension."""
    path = Path(path)
    return path.with_suffix("") if path.suffix in (".hea", ".dat") else path


@contextlib.contextmanager
def _folder_lock(folder: Path, exclusive: bool):
    """Hold a lock on ``folder`` (``flock`` on the directory itself, so read-only folders need no lock file).

    Writers hold it exclusively while they rename a record's two files into place, readers shared while
    they read both: a reader never sees one writer's header with another's data. A no-op where the
    platform has no ``flock``.
    """
    try:
        import fcntl
        fd = os.open(folder, os.O_RDONLY)
    except (ImportError, OSError):
        yield
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        except OSError:  # a file system without locks (some network mounts): go on unlocked
            pass
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _number(token: str) -> float:
    """The leading number of a WFDB header field such as ``500/1000(0)`` or ``1000(0)/mV``; NaN if none."""
    head = token.split("/")[0].split("(")[0]
    try:
        return float(head)
    except ValueError:
        return math.nan


def _check_header(header: Path, text: str, meta) -> None:
    """Validate what wfdb reads leniently: the rate and gains as written, the units' scale, the data size.

    wfdb falls back to 250 Hz when the rate field is unreadable (``-500``) and to a gain of 200 when it is
    0 (WFDB's "uncalibrated"); either would give a record with plausible but wrong values.
    """
    lines = [line.split() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    record_line, signal_lines = lines[0], lines[1:]
    if len(record_line) < 3:
        raise VaescanInputError(header, "header gives no sampling rate")
    fs = _number(record_line[2])
    if not FS_RANGE_HZ[0] <= fs <= FS_RANGE_HZ[1]:
        raise VaescanInputError(
            header, f"sampling rate {record_line[2].split('/')[0]!r} Hz is not an ECG's "
                    f"(expected {FS_RANGE_HZ[0]:g} to {FS_RANGE_HZ[1]:g} Hz)")
    if not meta.sig_len or meta.sig_len <= 0:
        raise VaescanInputError(header, "header gives no signal length (number of samples)")
    if "/" in record_line[0]:
        return  # a multi-segment record: its signals are described in the segments' headers
    sizes: dict[str, float] = {}
    for i, (tokens, name, unit) in enumerate(zip(signal_lines, meta.sig_name, meta.units)):
        gain = _number(tokens[2]) if len(tokens) > 2 else math.nan
        scale = _TO_MV.get(str(unit).strip().lower(), 1.0)
        if not gain > 0:
            raise VaescanInputError(
                header, f"signal {i} ({name}) has no usable ADC gain "
                        f"({tokens[2] if len(tokens) > 2 else 'none'}): WFDB's 0 or missing means uncalibrated")
        per_mv = gain / scale
        if not GAIN_RANGE_PER_MV[0] <= per_mv <= GAIN_RANGE_PER_MV[1]:
            raise VaescanInputError(
                header, f"signal {i} ({name}) has ADC gain {gain:g} per {unit}, {per_mv:g} units per mV; "
                        f"expected {GAIN_RANGE_PER_MV[0]:g} to {GAIN_RANGE_PER_MV[1]:g}")
        fmt = tokens[1].split("x")[0].split(":")[0].split("+")[0]
        if fmt in _BYTES_PER_SAMPLE:
            sizes[tokens[0]] = sizes.get(tokens[0], 0.0) + _BYTES_PER_SAMPLE[fmt]
    for fname, per_sample in sizes.items():
        dat = header.with_name(fname)
        if dat.is_file() and dat.stat().st_size < int(per_sample * meta.sig_len):
            raise VaescanInputError(
                header, f"signal file {fname} is truncated or corrupt: it holds "
                        f"{int(dat.stat().st_size / per_sample)} samples per lead; the header announces {meta.sig_len}")


def read_record(
    path: str | os.PathLike[str],
    *,
    expected_fs: float | None = None,
    require_all_leads: bool = True,
    extra_leads: bool = False,
) -> Record:
    """Read a WFDB record into a :class:`Record` in mV with standard lead names and order.

    Extra leads (V3R-V5R, V7-V9: a 15-lead page's fifth column) are recognised and, with
    ``extra_leads``, kept after the twelve (:data:`~vaescan.data.leads.EXTRA_LEADS` order);
    without it they are left out (the models take the twelve).

    ``path`` may name the record with or without ``.hea``. Raises
    :class:`~vaescan.errors.VaescanInputError` naming the file when the header or
    signal file is missing, truncated or unreadable, when a lead name is not a
    12-lead ECG lead, when units are not a voltage, when ``fs`` differs from
    ``expected_fs``, or (with ``require_all_leads``) when any of the 12 leads is missing.

    Example
    -------
    >>> rec = read_record("../shared/data/ptbxl_sample/records100/00000/00001_lr")  # doctest: +SKIP
    >>> rec.fs, rec.sig_name[3]  # doctest: +SKIP
    (100.0, 'aVR')
    """
    base = _record_base(path)
    header = base.with_name(base.name + ".hea")
    if not header.is_file():
        raise VaescanInputError(header, "WFDB header file not found")
    with _folder_lock(base.parent, exclusive=False):
        return _read_locked(base, header, expected_fs, require_all_leads, extra_leads)


def _read_locked(base: Path, header: Path, expected_fs: float | None, require_all_leads: bool,
                 extra_leads: bool) -> Record:
    try:
        meta = wfdb.rdheader(str(base))
    except Exception as exc:  # wfdb raises a zoo of types for malformed headers
        raise VaescanInputError(header, f"unreadable WFDB header ({type(exc).__name__}: {exc})") from None
    if not meta.n_sig:
        raise VaescanInputError(header, "record holds no signals")
    described = len(meta.sig_name or [])
    if described != meta.n_sig:
        raise VaescanInputError(header, f"header announces {meta.n_sig} signals but describes {described}")
    _check_header(header, header.read_text(encoding="utf-8", errors="replace"), meta)
    if expected_fs is not None and abs(float(meta.fs) - expected_fs) > 1e-6:
        raise VaescanInputError(header, f"sampling rate is {meta.fs:g} Hz, expected {expected_fs:g} Hz")
    leads, scales = [], []
    for i, (name, unit) in enumerate(zip(meta.sig_name, meta.units)):
        lead = normalise_lead_name(name, extra=True)
        if lead is None:
            raise VaescanInputError(header, f"signal {i} is named {name!r}, which is not a 12-lead ECG lead "
                                    f"(nor one of {', '.join(EXTRA_LEADS)})")
        if lead in leads:
            raise VaescanInputError(header, f"lead {lead} appears twice")
        scale = _TO_MV.get(str(unit).strip().lower())
        if scale is None:
            raise VaescanInputError(header, f"lead {lead} has units {unit!r}; expected mV, uV or V")
        leads.append(lead)
        scales.append(scale)
    missing = [lead for lead in LEADS if lead not in leads]
    if require_all_leads and missing:
        raise VaescanInputError(header, f"has {len(leads)} of 12 leads; missing {', '.join(missing)}")
    try:
        raw = wfdb.rdrecord(str(base))
    except FileNotFoundError as exc:
        raise VaescanInputError(header, f"signal file missing ({Path(exc.filename).name})") from None
    except Exception as exc:
        raise VaescanInputError(header, f"signal file truncated or corrupt ({exc})") from None
    columns = dict(zip(leads, (raw.p_signal[:, i] * scale for i, scale in enumerate(scales))))
    for lead, values in columns.items():
        peak = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 0.0
        if peak > MAX_ABS_MV:
            raise VaescanInputError(
                header, f"lead {lead} reaches {peak:.3g} mV, beyond the {MAX_ABS_MV:g} mV of any ECG "
                        "(wrong ADC gain or units?)")
    names = [lead for lead in LEADS + (EXTRA_LEADS if extra_leads else ()) if lead in columns]
    if not names:
        raise VaescanInputError(header, "holds none of the 12 ECG leads")
    signal = np.column_stack([columns[lead] for lead in names])
    return Record(signal, fs=float(raw.fs), sig_name=names, name=base.name, comments=list(raw.comments or []))


def write_record(record: Record, path: str | os.PathLike[str]) -> Path:
    """Write ``record`` as WFDB (``.hea`` + ``.dat``, 16-bit, 1 uV per unit) at ``path`` (no extension).

    Values beyond +-32.767 mV are clipped (16-bit limit); NaN is written as
    WFDB's missing-sample marker. Both files are written to a temporary folder
    and moved into place, the header last, under an exclusive lock on the folder
    that :func:`read_record` takes shared: a reader never sees a header without
    its data, nor one writer's header with another's data.

    The files are byte for byte what ``wfdb.wrsamp`` writes for these settings
    (``tests/data/test_records.py`` checks it) but written directly: wrsamp's
    field validation took about 35 ms per 10 s record, the bulk of writing a
    synthetic cohort.

    Example
    -------
    >>> import tempfile, pathlib, numpy as np
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "demo"
    >>> rec = Record(np.full((500, 12), 0.25), fs=500.0, sig_name=list(LEADS))
    >>> _ = write_record(rec, out)
    >>> float(read_record(out).signal[0, 0])
    0.25
    """
    base = _record_base(path)
    base.parent.mkdir(parents=True, exist_ok=True)
    signal = np.clip(record.signal, -_INT16_LIMIT_MV, _INT16_LIMIT_MV)
    digital = np.round(signal * _ADC_GAIN)
    digital[np.isnan(signal)] = _DIGITAL_NAN
    digital = digital.astype(np.int64)
    fs = int(record.fs) if float(record.fs).is_integer() else record.fs
    checksums = digital.sum(axis=0) % 65536
    lines = [f"{base.name} {digital.shape[1]} {fs} {digital.shape[0]}"]
    lines += [f"{base.name}.dat 16 {_ADC_GAIN}(0)/mV 16 0 {int(digital[0, j]) if len(digital) else 0} "
              f"{int(checksums[j])} 0 {name}" for j, name in enumerate(record.sig_name)]
    lines += [f"# {comment}" for comment in record.comments]
    with tempfile.TemporaryDirectory(dir=base.parent, prefix=f".{base.name}.") as tmp:
        dat, hea = Path(tmp) / f"{base.name}.dat", Path(tmp) / f"{base.name}.hea"
        dat.write_bytes(digital.astype("<i2").tobytes())
        hea.write_text("\n".join(lines) + "\n", encoding="utf-8")
        with _folder_lock(base.parent, exclusive=True):
            os.replace(dat, base.with_name(base.name + ".dat"))
            os.replace(hea, base.with_name(base.name + ".hea"))
    return base


def find_records(path: str | os.PathLike[str]) -> list[Path]:
    """List the WFDB records at ``path``: the record itself, or every ``.hea`` below a folder (sorted).

    Returned paths carry no extension, as WFDB names records.

    Example
    -------
    >>> [p.name for p in find_records("../shared/data/ptbxl_sample")]  # doctest: +SKIP
    ['00001_lr']
    """
    path = Path(path)
    if path.is_dir():
        records = sorted(p.with_suffix("") for p in path.rglob("*.hea") if not p.name.startswith("."))
        if not records:
            raise VaescanInputError(path, "no WFDB records (.hea files) found in this folder")
        return records
    base = _record_base(path)
    if base.with_name(base.name + ".hea").is_file():
        return [base]
    raise VaescanInputError(path, "neither a folder nor a WFDB record (no .hea file)")
