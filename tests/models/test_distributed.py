"""Data parallelism of the training loop: 2 gloo processes on the CPU train exactly like one process on the same
batches (each rank's shard, gradients combined), write one checkpoint with both ranks' states and resume from it."""

import os
import socket

import numpy as np
import pyro
import pyro.distributions as dist
import pytest
import torch
import torch.multiprocessing as mp
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from vaescan.data.shards import ShardedArray, write_shards
from vaescan.models import distributed
from vaescan.models.persist import load_tensors
from vaescan.models.train import TrainConfig, svi_train, train_epochs

CONFIG = dict(epochs=3, batch_size=6, lr=0.05, checkpoint_every=2)
"""21 records: 4 steps an epoch, the last one of 3 records (2 + 1 over two ranks)."""


def _data():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(21, 3, generator=g)
    return x, x @ torch.tensor([[1.0], [-2.0], [0.5]]) + 0.1 * torch.randn(21, 1, generator=g)


def _torch_fit(checkpoint=None, resume=False, stop_at=None, data=None):
    """A linear regression by Adam, DDP-wrapped under more than one process; ``stop_at`` interrupts before that
    (1-based) step call, as a killed run would stop; ``data`` replaces :func:`_data` (e.g. by shards on disk)."""
    torch.manual_seed(0)
    lin = nn.Linear(3, 1)
    net = DistributedDataParallel(lin) if distributed.world_size() > 1 else lin
    opt = torch.optim.Adam(lin.parameters(), lr=CONFIG["lr"])
    x, y = _data() if data is None else data
    calls = []

    def step(batch, weight):
        calls.append(1)
        if stop_at is not None and len(calls) == stop_at:
            raise KeyboardInterrupt
        opt.zero_grad()
        loss = ((net(batch[0]) - batch[1]) ** 2).sum()
        (loss * distributed.world_size() / distributed.all_sum(len(batch[0]))).backward()
        opt.step()
        return float(loss.detach())

    curves = train_epochs(step, {"lin": lin}, opt, [x, y], TrainConfig(**CONFIG), checkpoint=checkpoint,
                          resume=resume, progress=False)
    return torch.as_tensor(curves.train_loss.to_numpy()), torch.cat([lin.weight.detach().ravel(), lin.bias.detach()])


def _svi_fit():
    """A Bayesian linear regression by SVI: a pyro module whose weights are the mean, fixed noise."""
    torch.manual_seed(0)
    lin = nn.Linear(3, 1)

    def model(x, y, anneal=1.0):
        pyro.module("lin", lin)
        with pyro.plate("n", len(x)):
            pyro.sample("y", dist.Normal(lin(x).squeeze(-1), 0.5), obs=y.squeeze(-1))

    x, y = _data()
    curves = svi_train(model, lambda x, y, anneal=1.0: None, {"lin": lin}, [x, y], TrainConfig(**CONFIG),
                       progress=False)
    return torch.as_tensor(curves.train_loss.to_numpy()), torch.cat([lin.weight.detach().ravel(), lin.bias.detach()])


def _worker(rank, port, folder):
    os.environ.update(RANK=str(rank), WORLD_SIZE="2", LOCAL_RANK=str(rank), MASTER_ADDR="127.0.0.1",
                      MASTER_PORT=str(port))
    torch.set_num_threads(1)
    assert distributed.distributed_init("cpu")
    out = {"torch": _torch_fit(), "svi": _svi_fit()}
    ckpt = os.path.join(folder, "checkpoint.pt")
    try:
        _torch_fit(ckpt, stop_at=7)  # the last checkpoint: step 6 = 2 steps into epoch 2
    except KeyboardInterrupt:
        pass
    out["stopped"] = load_tensors(ckpt)["step"] if rank == 0 else None
    out["resumed"] = _torch_fit(ckpt, resume=True)
    out["streamed"] = _torch_fit(data=tuple(ShardedArray(os.path.join(folder, name)) for name in "xy"))
    torch.save(out, os.path.join(folder, f"rank{rank}.pt"))
    distributed.distributed_close()


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ddp")
    for name, rows in zip("xy", _data()):  # the same records as shards on disk, for the streamed run
        write_shards([(str(i), i) for i in range(len(rows))], rows.numpy().__getitem__, folder / name, shard_size=5,
                     key=name, progress=False)
    mp.spawn(_worker, args=(_free_port(), str(folder)), nprocs=2, join=True)
    return folder, [torch.load(folder / f"rank{r}.pt", weights_only=True) for r in range(2)]


@pytest.mark.parametrize("kind, fit", [("torch", _torch_fit), ("svi", _svi_fit)])
def test_two_processes_train_like_one(two_ranks, kind, fit):
    _, ranks = two_ranks
    loss, weights = fit()
    for r in ranks:
        # measured: relative differences of 5e-8 in the losses, 1.5e-8 in the weights (float32 sums in another order)
        np.testing.assert_allclose(r[kind][0], loss, rtol=1e-6)
        np.testing.assert_allclose(r[kind][1].numpy(), weights.numpy(), rtol=1e-6, atol=1e-7)
    assert torch.equal(ranks[0][kind][1], ranks[1][kind][1])  # the ranks never drift apart


def test_a_two_process_checkpoint_holds_both_ranks_and_resumes_exactly(two_ranks):
    folder, ranks = two_ranks
    state = load_tensors(folder / "checkpoint.pt")
    assert state["world_size"] == 2 and len(state["ranks"]) == 2 and ranks[0]["stopped"] == 2
    for r in ranks:
        np.testing.assert_array_equal(r["resumed"][0], r["torch"][0])
        assert torch.equal(r["resumed"][1], r["torch"][1])


def test_two_processes_streaming_shards_train_exactly_like_two_in_memory(two_ranks):
    _, ranks = two_ranks
    for r in ranks:
        np.testing.assert_array_equal(r["streamed"][0], r["torch"][0])
        assert torch.equal(r["streamed"][1], r["torch"][1])
