"""vaescan: interpretable ECG modelling.

The package reads like the pipeline:

- :mod:`vaescan.data`: WFDB records, PTB-XL and synthetic cohorts, median beats, interval features.
- :mod:`vaescan.digitize`: ECG paper images to 12-lead signals, and a renderer with exact ground truth.
- :mod:`vaescan.models`: the beta-VAE and the SCAN association model.
- :mod:`vaescan.explain`: attributions of black-box models (planned; not built yet).
- :mod:`vaescan.analysis`: disentanglement and association measures.
- :mod:`vaescan.report`: figures (trade-off reports: planned).
"""

from vaescan.errors import VaescanError, VaescanInputError

__version__ = "0.1.0"

__all__ = ["VaescanError", "VaescanInputError", "__version__"]
