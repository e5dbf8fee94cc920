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
