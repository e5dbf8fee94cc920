"""ECG records and WFDB input/output.

A :class:`Record` holds the signal in mV as (samples x leads), the sampling
rate in Hz and the lead names in the standard order of
:data:`vaescan.data.leads.LEADS`. WFDB is the exchange format: records are
written as 16-bit samples at 1 uV resolution (``adc_gain`` 1000 per mV), and
NaN (no trace, e.g. a lead a paper page does not show) survives the round trip.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import wfdb

from vaescan.data.leads import LEADS, normalise_lead_name
from vaescan.errors import VaescanInputError

_TO_MV = {"mv": 1.0, "uv": 1e-3, "µv": 1e-3, "μv": 1e-3, "v": 1e3}
_INT16_LIMIT_MV = 32.767
_ADC_GAIN = 1000.0  # digital units per mV: 1 uV resolution
_DIGITAL_NAN = -32768  # WFDB format 16 marker of a missing sample


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
        if not self.fs or self.fs <= 0:
            raise VaescanInputError(self.name, f"sampling rate must be positive, got {self.fs}")
        self.fs = float(self.fs)

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


def read_record(
    path: str | os.PathLike[str],
    *,
    expected_fs: float | None = None,
    require_all_leads: bool = True,
) -> Record:
    """Read a WFDB record into a :class:`Record` in mV with standard lead names and order.

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
    try:
        meta = wfdb.rdheader(str(base))
    except Exception as exc:  # wfdb raises a zoo of types for malformed headers
        raise VaescanInputError(header, f"unreadable WFDB header ({type(exc).__name__}: {exc})") from None
    if not meta.n_sig:
        raise VaescanInputError(header, "record holds no signals")
    described = len(meta.sig_name or [])
    if described != meta.n_sig:
        raise VaescanInputError(header, f"header announces {meta.n_sig} signals but describes {described}")
    if expected_fs is not None and abs(float(meta.fs) - expected_fs) > 1e-6:
        raise VaescanInputError(header, f"sampling rate is {meta.fs:g} Hz, expected {expected_fs:g} Hz")
    leads, scales = [], []
    for i, (name, unit) in enumerate(zip(meta.sig_name, meta.units)):
        lead = normalise_lead_name(name)
        if lead is None:
            raise VaescanInputError(header, f"signal {i} is named {name!r}, which is not a 12-lead ECG lead")
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
    names = [lead for lead in LEADS if lead in columns]
    signal = np.column_stack([columns[lead] for lead in names])
    return Record(signal, fs=float(raw.fs), sig_name=names, name=base.name, comments=list(raw.comments or []))


def write_record(record: Record, path: str | os.PathLike[str]) -> Path:
    """Write ``record`` as WFDB (``.hea`` + ``.dat``, 16-bit, 1 uV per unit) at ``path`` (no extension).

    Values beyond +-32.767 mV are clipped (16-bit limit); NaN is written as
    WFDB's missing-sample marker. Both files are written to a temporary folder
    and moved into place, the header last, so a reader never sees a header
    without its data.

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
