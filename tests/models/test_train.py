import numpy as np
import pyro
import pytest
import torch

from tests.models.conftest import interrupted_after
from vaescan.data.beats import BeatSet
from vaescan.errors import VaescanInputError
from vaescan.models.persist import load_tensors
from vaescan.models.run import save_param_store
from vaescan.models.train import pyro_params
from vaescan.models.vae import VAE, BetaVAE

SMALL = dict(latent_dim=3, channels=(8, 16), hidden=32, batch_size=32, warmup_epochs=2, downsample=4)


@pytest.fixture(scope="module")
def beats(toy_train):
    b = toy_train[0]
    return BeatSet(b.beats[:96], b.record_ids[:96], b.fs, b.window_ms)


def test_resume_continues_from_the_saved_epoch_exactly(beats, tmp_path, monkeypatch):
    full = VAE(epochs=4, **SMALL).fit(beats, beats, progress=False)

    # interrupt a run after its second epoch (the checkpoint of epoch 2 is on disk)
    ckpt = tmp_path / "checkpoint.pt"
    with interrupted_after(monkeypatch, epoch=2):
        VAE(epochs=4, **SMALL).fit(beats, beats, checkpoint=ckpt, progress=False)
    assert load_tensors(ckpt)["epoch"] == 2

    resumed = VAE(epochs=4, **SMALL).fit(beats, beats, checkpoint=ckpt, resume=True, progress=False)
    assert resumed.curves_.epoch.tolist() == [1, 2, 3, 4]
    cols = ["train_loss", "val_loss", "val_rmse_uv", "anneal"]
    np.testing.assert_allclose(resumed.curves_[cols].to_numpy(), full.curves_[cols].to_numpy(), rtol=1e-5)
    np.testing.assert_allclose(resumed.transform(beats), full.transform(beats), rtol=1e-4, atol=1e-5)


def test_checkpoint_of_another_model_is_refused(beats, tmp_path):
    ckpt = tmp_path / "checkpoint.pt"
    VAE(epochs=1, **SMALL).fit(beats, checkpoint=ckpt, progress=False)
    other = {**SMALL, "latent_dim": 5}
    with pytest.raises(VaescanInputError, match="checkpoint does not match"):
        VAE(epochs=2, **other).fit(beats, checkpoint=ckpt, resume=True, progress=False)


class _Payload:
    pass


def test_tensor_files_never_unpickle_objects(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"w": torch.ones(1), "obj": _Payload()}, path)
    with pytest.raises(VaescanInputError, match="not a readable tensor file"):
        load_tensors(path)
    (tmp_path / "junk.pt").write_bytes(b"not a zip")
    with pytest.raises(VaescanInputError, match="junk.pt"):
        load_tensors(tmp_path / "junk.pt")


def test_param_store_file_restores_the_model_in_pyro(beats, tmp_path):
    vae = VAE(epochs=1, **SMALL).fit(beats, progress=False)
    x = vae._to_model(beats.beats[:4], vae.device_)
    params = pyro_params(vae.net_.model, vae.net_.guide, x)
    assert set(params) == {f"vae_encoder$$${k}" for k, _ in vae.net_.encoder.named_parameters()} | {
        f"vae_decoder$$${k}" for k, _ in vae.net_.decoder.named_parameters()}
    assert not any(k.startswith("vae_") for k in pyro.get_param_store().keys())  # the global store is untouched
    path = save_param_store(tmp_path, params)

    # a fresh, untrained network takes its weights from the pyro param store loaded from the file
    fresh = BetaVAE(12, 500 // vae.config.downsample, vae.config)
    store = pyro.get_param_store()
    with store.scope():
        for name, value in torch.load(path, weights_only=True).items():
            pyro.param(name, value)
        pyro.module("vae_encoder", fresh.encoder, update_module_params=True)
        pyro.module("vae_decoder", fresh.decoder, update_module_params=True)
        with torch.no_grad():
            z_fresh = fresh.encoder(x)[0]
            x_fresh = fresh.decoder(z_fresh)
    with torch.no_grad():
        z_ref = vae.net_.encoder(x)[0]
        np.testing.assert_allclose(z_fresh.numpy(), z_ref.numpy(), rtol=1e-6)
        np.testing.assert_allclose(x_fresh.numpy(), vae.net_.decoder(z_ref).numpy(), rtol=1e-6)
