"""pytest settings for every test and for the doctests of vaescan/ (the docstring examples build their own data and
models)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _one_torch_thread_in_doctests(request):
    """Doctests run with one torch thread: several examples fit a tiny model, and the suite runs one pytest
    worker per core (``-n auto``), where more threads per worker only contend (a fit takes 10x longer)."""
    if not isinstance(request.node, pytest.DoctestItem):
        yield
        return
    from tests.conftest import one_torch_thread  # torch: imported only for doctests

    with one_torch_thread():
        yield


@pytest.fixture(autouse=True)
def _own_pyro_param_store():
    """Every test and doctest runs in a fresh scope of pyro's global parameter store, restored afterwards: a test that
    traces a model or guide by hand (``pyro.module`` outside :func:`vaescan.models.train.svi_train`) registers its
    parameters there, and they would leak into the tests that run after it in the same process."""
    import pyro

    with pyro.get_param_store().scope():
        yield
