"""Doctest namespace: small fitted models so the docstring examples of vaescan run as written.

``beats`` (a toy BeatSet), ``table`` (its clinical table: WIDE, TALLT, age),
``vae`` (a VAE fitted on them) and ``scan`` (a SCAN over that VAE) are
available in every doctest; they are built once, on first use.
"""

from __future__ import annotations

import functools

import pytest


@functools.cache
def _fitted():
    from tests.models.conftest import toy_beats
    from vaescan.models.scan import SCAN
    from vaescan.models.vae import VAE

    beats, truth = toy_beats(96, seed=5)
    table = truth[["WIDE", "TALLT", "age"]]
    vae = VAE(latent_dim=4, epochs=3, batch_size=32, channels=(8, 8), hidden=16).fit(beats, progress=False)
    scan = SCAN(vae, epochs=3).fit(beats, table, progress=False)
    return {"beats": beats, "table": table, "vae": vae, "scan": scan}


@pytest.fixture(autouse=True)
def _doctest_models(request):
    if isinstance(request.node, pytest.DoctestItem):
        namespace = request.getfixturevalue("doctest_namespace")
        namespace.update(_fitted())
