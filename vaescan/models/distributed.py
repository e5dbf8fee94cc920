"""Data-parallel training under ``torchrun``: the process group, each rank's shard of a batch, summed gradients.

``torchrun --nproc_per_node N -m vaescan train-...`` starts N copies of the command with ``RANK``,
``WORLD_SIZE``, ``LOCAL_RANK`` and the rendezvous address in their environment.
:func:`distributed_init` joins them into one process group (gloo on the CPU, nccl on CUDA). Every rank
draws the same permutation of the training records per epoch and takes its share of each global batch
(:func:`shard`: records ``rank, rank + N, ...`` of the batch), so the N shards of a step are exactly the
batch a single process would train on. Gradients are combined across ranks before each optimiser step
(DistributedDataParallel for the black boxes, :func:`grads_sum` for pyro's SVI), which keeps every rank's
weights and optimiser state identical; rank 0 (:func:`is_main`) writes the run folder and checkpoints.

Without ``WORLD_SIZE`` > 1 (a plain ``vaescan`` command) every function here is a no-op for one process.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

import torch
import torch.distributed as dist


def distributed_init(device: torch.device | str = "cpu") -> bool:
    """Join the ``torchrun`` process group once (gloo for a CPU ``device``, nccl for CUDA); True under torchrun.

    Returns False, doing nothing, when the environment has no ``WORLD_SIZE`` above 1.

    Example
    -------
    >>> distributed_init("cpu")  # a plain process: one rank, nothing to join
    False
    """
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return False
    if not dist.is_initialized():
        cuda = torch.device(device).type == "cuda"
        if cuda:
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
        dist.init_process_group(backend="nccl" if cuda else "gloo")
    return True


def world_size() -> int:
    """Number of training processes (1 outside ``torchrun``).

    Example
    -------
    >>> world_size()
    1
    """
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def rank() -> int:
    """This process's rank, 0 to :func:`world_size` - 1 (0 outside ``torchrun``; torchrun's ``RANK`` once the group
    is closed).

    Example
    -------
    >>> rank()
    0
    """
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank()
    return int(os.environ.get("RANK", "0")) if int(os.environ.get("WORLD_SIZE", "1")) > 1 else 0


def is_main() -> bool:
    """True on rank 0, the process that writes the run folder (and in every plain process).

    Example
    -------
    >>> is_main()
    True
    """
    return rank() == 0


def barrier() -> None:
    """Wait until every rank gets here (nothing in one process).

    Example
    -------
    >>> barrier()
    """
    if world_size() > 1:
        dist.barrier()


def shard(indices: torch.Tensor) -> torch.Tensor:
    """This rank's share of a global batch's record indices: every :func:`world_size`-th one from its rank.

    Example
    -------
    >>> shard(torch.arange(5)).tolist()  # one process keeps the whole batch
    [0, 1, 2, 3, 4]
    """
    return indices[rank()::world_size()]


def all_sum(value: float) -> float:
    """``value`` summed over the ranks (float64; itself in one process).

    Example
    -------
    >>> all_sum(2.5)
    2.5
    """
    if world_size() == 1:
        return value
    t = torch.tensor([value], dtype=torch.float64, device=_collective_device())
    dist.all_reduce(t)
    return float(t.item())


def grads_sum(params: Iterable[torch.Tensor]) -> None:
    """Replace each parameter's gradient by its sum over the ranks, in one flat all-reduce (nothing in one process).

    With losses that are sums over records, the summed gradient of the shards is the gradient of the whole
    batch: what one process training on the batch would get.

    Example
    -------
    >>> w = torch.ones(2, requires_grad=True); (3 * w).sum().backward(); grads_sum([w]); w.grad.tolist()
    [3.0, 3.0]
    """
    if world_size() == 1:
        return
    params = [p for p in params if p.grad is not None]
    if not params:
        return
    flat = torch.cat([p.grad.reshape(-1) for p in params])
    dist.all_reduce(flat)
    offset = 0
    for p in params:
        n = p.grad.numel()
        p.grad.copy_(flat[offset: offset + n].view_as(p.grad))
        offset += n


def broadcast_modules(modules: Iterable[torch.nn.Module]) -> None:
    """Copy rank 0's parameters and buffers to every rank (nothing in one process).

    Example
    -------
    >>> broadcast_modules([torch.nn.Linear(2, 1)])
    """
    if world_size() == 1:
        return
    with torch.no_grad():
        for m in modules:
            for t in [*m.parameters(), *m.buffers()]:
                dist.broadcast(t.data, src=0)


def gather_objects(obj: Any) -> list[Any]:
    """Every rank's ``obj`` (picklable, e.g. a dict of RNG-state tensors), in rank order; ``[obj]`` in one process.

    Example
    -------
    >>> gather_objects({"rank": 0})
    [{'rank': 0}]
    """
    if world_size() == 1:
        return [obj]
    out: list[Any] = [None] * world_size()
    dist.all_gather_object(out, obj)
    return out


def distributed_close() -> None:
    """Leave the process group (after training; nothing in one process).

    Example
    -------
    >>> distributed_close()
    """
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def _collective_device() -> torch.device:
    return torch.device("cuda", torch.cuda.current_device()) if dist.get_backend() == "nccl" else torch.device("cpu")


class _AllSum(torch.autograd.Function):
    """Sum over the ranks with a gradient: the backward pass sums the ranks' gradients too."""

    @staticmethod
    def forward(ctx, tensor: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        out = tensor.clone()
        dist.all_reduce(out)
        return out

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        out = grad.clone()
        dist.all_reduce(out)
        return out


class SyncedBatchNorm(torch.nn.modules.batchnorm._BatchNorm):
    """Batch normalisation over the whole batch of all ranks, on the CPU too (torch's ``SyncBatchNorm`` needs a GPU).

    In training the per-channel sum and sum of squares and the count are summed over the ranks (with their
    gradients), so each rank normalises its shard with the statistics one process would compute on the whole
    batch; the running statistics follow (unbiased variance, like :class:`torch.nn.BatchNorm1d`). In
    evaluation, or in one process, it is plain batch normalisation. The ``state_dict`` is a BatchNorm's.

    Example
    -------
    >>> bn = SyncedBatchNorm(2); x = torch.randn(8, 2, 5)
    >>> torch.allclose(bn(x), torch.nn.functional.batch_norm(x, None, None, training=True), atol=1e-5)
    True
    """

    def _check_input_dim(self, input: torch.Tensor) -> None:
        if input.dim() < 2:
            raise ValueError(f"expected at least 2-D input (records, channels, ...), got {input.dim()}-D")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or world_size() == 1:
            return super().forward(x)
        dims = [0, *range(2, x.dim())]
        count = torch.tensor([x.numel() / x.shape[1]], dtype=x.dtype, device=x.device)
        stats = _AllSum.apply(torch.cat([x.sum(dims), (x * x).sum(dims), count]))
        c = x.shape[1]
        n = stats[-1]
        mean = stats[:c] / n
        var = (stats[c: 2 * c] / n - mean * mean).clamp_min(0)
        if self.track_running_stats and self.running_mean is not None and self.running_var is not None:
            with torch.no_grad():
                self.num_batches_tracked += 1
                m = self.momentum if self.momentum is not None else 1.0 / float(self.num_batches_tracked)
                self.running_mean.mul_(1 - m).add_(m * mean.detach())
                self.running_var.mul_(1 - m).add_(m * var.detach() * n / (n - 1).clamp_min(1))
        shape = [1, c] + [1] * (x.dim() - 2)
        y = (x - mean.view(shape)) * torch.rsqrt(var.view(shape) + self.eps)
        if self.affine:
            y = y * self.weight.view(shape) + self.bias.view(shape)
        return y


def batchnorm_synced(module: torch.nn.Module) -> torch.nn.Module:
    """``module`` with every BatchNorm layer replaced by a :class:`SyncedBatchNorm` holding the same parameters and
    running statistics (the same ``state_dict``); returns the module (changed in place where it holds them).

    Example
    -------
    >>> net = batchnorm_synced(torch.nn.Sequential(torch.nn.Conv1d(1, 2, 3), torch.nn.BatchNorm1d(2)))
    >>> type(net[1]).__name__, sorted(net[1].state_dict())
    ('SyncedBatchNorm', ['bias', 'num_batches_tracked', 'running_mean', 'running_var', 'weight'])
    """
    if isinstance(module, torch.nn.modules.batchnorm._BatchNorm) and not isinstance(module, SyncedBatchNorm):
        synced = SyncedBatchNorm(module.num_features, module.eps, module.momentum, module.affine,
                                 module.track_running_stats)
        synced.load_state_dict(module.state_dict())
        synced.train(module.training)
        return synced.to(next(module.buffers(), torch.zeros(0)).device)
    for name, child in module.named_children():
        module.add_module(name, batchnorm_synced(child))
    return module
