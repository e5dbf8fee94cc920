"""``python -m tests.cli._die_at_checkpoint EPOCH STEP VAESCAN-ARGS...`` (also under ``torchrun ... -m``): runs
``vaescan VAESCAN-ARGS`` and, when the training loop is about to write its checkpoint of EPOCH finished epochs and
STEP steps into the next one, kills it with SIGKILL instead: the torchrun agent and every worker (or the one
process). The checkpoint on disk is then the one before, and the steps done since are lost, as after a real crash:
the kill tests resume from a point they choose, whatever the load on the machine (a kill sent from outside lands
wherever the run has got to by then)."""

from __future__ import annotations

import os
import signal
import sys
import time


def _die() -> None:
    """SIGKILL the whole run from inside it. Under torchrun every rank gathers its process id (a collective, so all
    ranks stop at the same step), then rank 0 kills the agent (its parent: torchrun starts each worker in a session of
    its own, so the agent's process group does not hold them), the other ranks and itself."""
    from vaescan.models.distributed import gather_objects, is_main, world_size

    if world_size() > 1:
        pids = gather_objects(os.getpid())
        if not is_main():
            time.sleep(120)  # rank 0 kills this process now; the sleep only bounds a broken run
        else:
            os.kill(os.getppid(), signal.SIGKILL)
            for pid in pids[1:]:
                os.kill(pid, signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)


def main(argv: list[str]) -> int:
    """Run the vaescan command line ``argv[2:]``, dying before the checkpoint (``argv[0]``, ``argv[1]``)."""
    import vaescan.models.train as train
    from vaescan.cli.main import main as vaescan_main

    at = (int(argv[0]), int(argv[1]))
    save = train._save_checkpoint

    def save_or_die(path, epoch, *args, **kwargs):
        if (epoch, kwargs.get("step", 0)) == at:
            _die()
        save(path, epoch, *args, **kwargs)

    train._save_checkpoint = save_or_die
    return vaescan_main(argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
