"""Benchmark: the all-outputs Jacobian of a batch, by implementation, against the reverse-mode floor.

Candidates for ``vaescan.explain.Jacobian`` (the package keeps the winner, ``backward_loop``):
- ``backward_loop``: one forward pass, one backward pass per output through the retained graph
  (``Jacobian`` itself);
- ``vmap_vjp_c{n}``: ``torch.autograd.grad(..., is_grads_batched=True)``, n outputs per vmapped pass;
- ``func_vjp_c{n}``: ``torch.func.vjp`` then ``torch.func.vmap`` over n basis cotangents;
- ``jacrev``: ``torch.func.jacrev`` of the outputs summed over records (all outputs at once);
- forward mode: one ``torch.func.jvp`` per input element; timed for one tangent and extrapolated
  to every element of a record (12,000 for a signal, 98,304 for an image).
Against: the floor, K batched backward passes (K = outputs, timed one at a time through a retained
graph) plus one forward; a per-record, per-output autograd loop (the naive code); captum's
``Saliency(abs=False)`` looped over targets. Peak memory (resident-set growth, one fresh process per
setting) for ``Jacobian`` and for the vmapped candidate at several outputs per pass.

Targets (issue 15): <= 1.2x the floor, >= 3x faster than the per-record loop, no slower than captum,
one record with all outputs within 1 s (signal) and 5 s (image) on CPU.

The networks are the black-box models' own (:func:`vaescan.models.blackbox.make_network` with the settings of
``configs/blackbox_{signal,image}_synthetic.yaml``: a 1-D residual CNN on 12 x 1000 samples, a 2-D residual CNN
on 1 x 256 x 384 pixels), 11 outputs each (ten labels and age), with random weights: the cost does not depend
on the weights.

    python scripts/bench_jacobian.py --threads 2 -o docs/results/bench_jacobian.json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
from captum.attr import Saliency
from torch import nn

from vaescan.bench import Stopwatch, bench_parser, machine_info
from vaescan.config import load_config
from vaescan.explain import Jacobian
from vaescan.io import write_json
from vaescan.models.blackbox import make_network
from vaescan.models.run_configs import BlackBoxRunConfig

N_OUTPUTS = 11


SHAPES = {"signal": (12, 1000), "image": (1, 256, 384)}
"""Inputs of the default black-box models: 10 s of 12 leads at 100 Hz; a page at 256 x 384 px."""


def make(name: str, batch: int) -> tuple[nn.Module, torch.Tensor]:
    """The default black-box network of ``configs/blackbox_<name>_synthetic.yaml`` (random weights) and a batch."""
    torch.manual_seed(0)
    shape = SHAPES[name]
    configs = Path(__file__).resolve().parent.parent / "configs"
    run_config = load_config(BlackBoxRunConfig, configs / f"blackbox_{name}_synthetic.yaml")
    net = make_network(run_config.model, shape[0], N_OUTPUTS).eval()
    for p in net.parameters():
        p.requires_grad_(False)
    return net, torch.randn(batch, *shape)


def _basis(n_records: int, outputs: list[int], dtype: torch.dtype) -> torch.Tensor:
    basis = torch.zeros(len(outputs), n_records, N_OUTPUTS, dtype=dtype)
    basis[torch.arange(len(outputs)), :, outputs] = 1
    return basis


def vmap_vjp(net: nn.Module, x: torch.Tensor, chunk: int) -> torch.Tensor:
    xx = x.clone().requires_grad_(True)
    y = net(xx)
    parts = [torch.autograd.grad(y, xx, _basis(len(x), list(range(s, min(s + chunk, N_OUTPUTS))), x.dtype),
                                 is_grads_batched=True, retain_graph=True)[0] for s in range(0, N_OUTPUTS, chunk)]
    return torch.cat(parts)


def func_vjp(net: nn.Module, x: torch.Tensor, chunk: int) -> torch.Tensor:
    _, pullback = torch.func.vjp(net, x)
    parts = [torch.func.vmap(pullback)(_basis(len(x), list(range(s, min(s + chunk, N_OUTPUTS))), x.dtype))[0]
             for s in range(0, N_OUTPUTS, chunk)]
    return torch.cat(parts)


def jacrev(net: nn.Module, x: torch.Tensor) -> torch.Tensor:
    return torch.func.jacrev(lambda v: net(v).sum(0))(x)


def per_record_loop(net: nn.Module, x: torch.Tensor) -> torch.Tensor:
    out = torch.empty(N_OUTPUTS, *x.shape)
    for r in range(len(x)):
        for j in range(N_OUTPUTS):
            xr = x[r:r + 1].clone().requires_grad_(True)
            out[j, r] = torch.autograd.grad(net(xr)[0, j], xr)[0][0]
    return out


def captum_loop(net: nn.Module, x: torch.Tensor) -> torch.Tensor:
    saliency = Saliency(net)
    return torch.stack([saliency.attribute(x, target=j, abs=False) for j in range(N_OUTPUTS)])


def candidates(net: nn.Module, batch: int) -> dict[str, Callable[[torch.Tensor], torch.Tensor]]:
    jac = Jacobian(net, batch_size=batch)
    found = {"backward_loop": jac.attribute}
    for chunk in (1, 4, N_OUTPUTS):
        found[f"vmap_vjp_c{chunk}"] = lambda x, c=chunk: vmap_vjp(net, x, c)
    for chunk in (4, N_OUTPUTS):
        found[f"func_vjp_c{chunk}"] = lambda x, c=chunk: func_vjp(net, x, c)
    found["jacrev"] = lambda x: jacrev(net, x)
    return found


def best_time(fn: Callable[[], object], repeats: int) -> float:
    fn()                                                               # warm-up
    times = []
    for _ in range(repeats):
        with Stopwatch() as watch:
            fn()
        times.append(watch.seconds)
    return min(times)


def floor_seconds(net: nn.Module, x: torch.Tensor, repeats: int) -> dict[str, float]:
    """One forward pass (with graph) and one batched backward pass of one output, timed apart."""
    def forward():
        return net(x.clone().requires_grad_(True))
    forward_s = best_time(forward, repeats)
    xx = x.clone().requires_grad_(True)
    y = net(xx)
    backward_s = best_time(lambda: torch.autograd.grad(y[:, 0].sum(), xx, retain_graph=True), 2 * repeats)
    return {"forward_s": forward_s, "backward_s": backward_s, "floor_s": forward_s + N_OUTPUTS * backward_s}


def forward_mode_estimate(net: nn.Module, x: torch.Tensor, repeats: int) -> dict[str, float]:
    """Forward mode needs one jvp per input element: time one, scale to a record's elements."""
    tangent = torch.zeros_like(x[:1])
    tangent.view(-1)[0] = 1
    one = best_time(lambda: torch.func.jvp(net, (x[:1],), (tangent,)), repeats)
    return {"one_jvp_s": one, "record_all_outputs_s": one * x[0].numel()}


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))


def probe_memory(name: str, method: str, batch: int) -> int:
    """Peak resident memory growth (kB) of one Jacobian of a batch, in a fresh process (Linux: the
    peak, VmHWM, is reset through /proc/self/clear_refs before the call)."""
    net, x = make(name, batch)
    with torch.no_grad():
        net(x)
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    before = _status_kb("VmRSS")
    candidates(net, batch)[method](x)
    return _status_kb("VmHWM") - before


def memory_table(name: str, batch: int, threads: int) -> dict[str, float]:
    table = {}
    for method in ("backward_loop", "vmap_vjp_c1", "vmap_vjp_c4", f"vmap_vjp_c{N_OUTPUTS}", "jacrev"):
        out = subprocess.run([sys.executable, __file__, "--probe", name, method, str(batch), "--threads", str(threads)],
                             check=True, capture_output=True, text=True).stdout
        table[method] = round(json.loads(out)["kb"] / 1024, 1)
    return table


def bench_net(name: str, batch: int, repeats: int, threads: int) -> dict:
    net, x = make(name, batch)
    floor = floor_seconds(net, x, repeats)
    reference = Jacobian(net, batch_size=batch).attribute(x)
    result: dict = {"batch": batch, "input": list(x.shape[1:]), "outputs": N_OUTPUTS, **floor, "candidates": {}}
    for method, fn in candidates(net, batch).items():
        seconds = best_time(lambda fn=fn: fn(x), repeats)
        err = float((fn(x) - reference).abs().max())
        result["candidates"][method] = {"seconds": seconds, "ratio_to_floor": seconds / floor["floor_s"],
                                        "max_abs_diff": err}
    ours = result["candidates"]["backward_loop"]["seconds"]
    few = x[: min(batch, 2)]                                           # the naive loop on a few records, scaled
    loop_s = best_time(lambda: per_record_loop(net, few), 1) * batch / len(few)
    captum_s = best_time(lambda: captum_loop(net, x), repeats)
    assert torch.allclose(captum_loop(net, x), reference, atol=1e-6)
    one = Jacobian(net, batch_size=1)
    result.update(
        per_record_loop_s=loop_s, speedup_vs_per_record_loop=loop_s / ours,
        captum_saliency_loop_s=captum_s, speedup_vs_captum=captum_s / ours,
        one_record_all_outputs_s=best_time(lambda: one.attribute(x[:1]), repeats),
        forward_mode=forward_mode_estimate(net, x, repeats),
        peak_memory_mb=memory_table(name, batch, threads),
        winner=min(result["candidates"], key=lambda m: result["candidates"][m]["seconds"]))
    return result


def main(argv: list[str] | None = None) -> int:
    p = bench_parser(__doc__, "docs/results/bench_jacobian.json")
    p.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    p.add_argument("--repeats", type=int, default=3, help="timed repeats, best kept (default 3)")
    p.add_argument("--signal-batch", type=int, default=16, help="records per signal batch (default 16)")
    p.add_argument("--image-batch", type=int, default=4, help="images per batch (default 4)")
    p.add_argument("--probe", nargs=3, metavar=("NET", "METHOD", "BATCH"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.probe:
        print(json.dumps({"kb": probe_memory(args.probe[0], args.probe[1], int(args.probe[2]))}))
        return 0
    start = time.perf_counter()
    result = {"machine": machine_info("platform", "python", "processor", "cpus"), "threads": args.threads,
              "torch": torch.__version__, "repeats": args.repeats,
              "signal": bench_net("signal", args.signal_batch, args.repeats, args.threads),
              "image": bench_net("image", args.image_batch, args.repeats, args.threads)}
    result["total_s"] = time.perf_counter() - start
    write_json(args.output, result)
    for name in ("signal", "image"):
        r = result[name]
        ours = r["candidates"]["backward_loop"]
        print(f"{name}: batch {r['batch']}, floor {r['floor_s']:.3f} s; Jacobian {ours['seconds']:.3f} s = "
              f"{ours['ratio_to_floor']:.2f}x floor (target <= 1.2); {r['speedup_vs_per_record_loop']:.1f}x vs "
              f"per-record loop (>= 3); {r['speedup_vs_captum']:.2f}x vs captum (>= 1); one record "
              f"{r['one_record_all_outputs_s']:.3f} s; fastest candidate {r['winner']}")
        print("   " + ", ".join(f"{m} {c['ratio_to_floor']:.2f}x" for m, c in r["candidates"].items()))
        print(f"   forward mode, one record: {r['forward_mode']['record_all_outputs_s']:.1f} s (extrapolated)")
        print(f"   peak memory MB: {r['peak_memory_mb']}")
    print(f"wrote {args.output} in {result['total_s']:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
