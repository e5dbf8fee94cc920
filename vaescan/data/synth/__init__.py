"""A synthetic 12-lead cohort whose clinical causes and ECG factors are known: the test bed of every model.

A cardiac dipole (vectorcardiogram) is built per beat from compact 3-D waves
(:mod:`.dipole`, :mod:`.morphology`), projected to the 12 leads by the Dower
transform (:mod:`.leadfield`), timed by a sinus or fibrillating rhythm
(:mod:`.rhythm`) and recorded with electrode noise (:mod:`.noise`). Age, sex
and ten labels cause the factors through a documented causal table
(:mod:`.clinical`); the ground truth of every record is measured on its
noiseless dipole (:mod:`.truth`) and written beside it (:mod:`.cohort`).
See ``docs/synthetic_cohort.md``.

Example
-------
>>> from vaescan.data.synth import simulate_records
>>> record, truth = next(simulate_records(1, seed=0))
>>> record.sig_name[:3], sorted(k for k in ("LBBB", "qrs_ms", "split") if k in truth)
(['I', 'II', 'III'], ['LBBB', 'qrs_ms', 'split'])
"""

from vaescan.data.synth.clinical import LABELS
from vaescan.data.synth.cohort import simulate_cohort, simulate_records
from vaescan.data.synth.config import NoiseConfig, SynthConfig
from vaescan.data.synth.record import FACTORS, NOISE_COLUMNS

__all__ = ["FACTORS", "LABELS", "NOISE_COLUMNS", "NoiseConfig", "SynthConfig", "simulate_cohort",
           "simulate_records"]
