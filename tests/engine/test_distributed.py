"""Data-parallel training (DDP over 2 gloo processes on the CPU) against the one-process loop.

One spawn of two ranks runs every scenario, to pay the process start-up once:

* ``dcgan`` on ring8 (MLP G and D, no batch norm): the 2-rank loss trajectory
  and final weights match a 1-process run with the same global batch. The two
  runs see the same samples and latents in the same order, so the only
  difference is floating-point summation order: DDP averages two half-batch
  gradients where one process averages one full batch (a relative difference
  ~1e-7 per step), and GAN training amplifies it slowly. Tolerance: 1e-5
  relative on the losses of 30 steps, 1e-5 absolute on the weights (measured
  on this CPU: 1.6e-7 and 8e-8).
* ``infogan`` on ring8 (Q head with batch norm, sharing D's body),
  ``minibatch``/``dcgan`` on digits 16 px (batch norm in G and D) and the
  example plugin's ``wgan-gp`` (gradient penalty: ``autograd.grad`` with
  ``create_graph`` inside the D step): batch statistics and the penalty's
  per-rank random weights make these differ from the 1-process run by design,
  but the ranks' weights must stay bit-identical: that holds only if every
  trained parameter's gradient (G's, D's and Q's) is averaged over the ranks.
* a NaN loss on rank 1 only stops both ranks as ``diverged`` at that step;
* a loss that raises on rank 1 fails its cell on both ranks with rank 1's one
  line, without a hang, and the next cell trains normally.
"""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp

from ganbench.components import LossOutput
from ganbench.data.base import DatasetOptions
from ganbench.data.loaders import batch_stream
from ganbench.engine.build import Composition, build_models, resolve_recipe
from ganbench.engine.config import TrainConfig
from ganbench.engine.distributed import Rendezvous, world_from_env
from ganbench.engine.seeding import seed_everything
from ganbench.engine.trainer import train
from ganbench.plugin import hookimpl
from ganbench.registrar import PluginOrigin
from ganbench.registry import get_registry

pytestmark = pytest.mark.slow  # two spawned ranks: tens of seconds on 2 cores, still run in CI

CPU = torch.device("cpu")
STEPS, BATCH = 30, 32
VERIFIED = [
    ("dcgan", "ring8"), ("infogan", "ring8"), ("minibatch", "digits"), ("dcgan", "digits"), ("wgan-gp", "ring8"),
]  # fmt: skip
"""``wgan-gp`` comes from the example plugin package: its penalty calls ``torch.autograd.grad`` inside D's step."""
EXAMPLE_PLUGIN = Path(__file__).resolve().parents[2] / "examples" / "ganbench-extra-losses" / "src"


def _models_and_batches(variant: str, dataset: str, part: tuple[int, int] | None):
    registry = get_registry()
    entry, _ = registry.dataset(dataset)
    data = entry.factory(DatasetOptions(root=Path("."), resolution=16 if dataset == "digits" else None))
    seed_everything(0)
    models = build_models(registry, resolve_recipe(registry, variant, data.spec), data.spec)
    batches = batch_stream(data, "train", batch_size=BATCH, device=CPU, seed=0, part=part)
    return models, batches


def _config() -> TrainConfig:
    return TrainConfig(steps=STEPS, batch_size=BATCH, log_every=1)


def _rank_main(rank: int, port: int, out: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE="2", LOCAL_RANK="0")
    os.environ["GANBENCH_DIST_TIMEOUT"] = "60"
    torch.set_num_threads(1)
    world = world_from_env()
    assert world is not None
    sys.path.insert(0, str(EXAMPLE_PLUGIN))
    import ganbench_extra_losses

    if "wgan-gp" not in get_registry().names("variant"):  # unless the example package is installed
        get_registry().add_plugin(ganbench_extra_losses, PluginOrigin("extra", "ganbench-extra-losses", "0"))
    rendezvous = Rendezvous(world)
    results = {}
    for variant, dataset in VERIFIED:
        with rendezvous.cell_group(f"{variant}-{dataset}", CPU) as group:
            models, batches = _models_and_batches(variant, dataset, group.part)
            steps = group.steps()
            result = train(models, batches, _config(), CPU, parallel=steps)
            results[(variant, dataset)] = {
                "history": result.history,
                "in_sync": steps.replicas_in_sync(),
                "generator": {k: v.clone() for k, v in models.generator.state_dict().items()},
            }
    with rendezvous.cell_group("nan-on-rank1", CPU) as group:
        results["nan"] = _nan_on_rank1(group)
    results["failure"] = _failing_cell_then_next(world, rendezvous, Path(out) / f"run{rank}")
    torch.save(results, Path(out) / f"rank{rank}.pt")


def _nan_on_rank1(group) -> tuple[str, int | None]:
    """dcgan on ring8 whose D loss is NaN on rank 1 only, at its second step: both ranks must stop there."""
    models, batches = _models_and_batches("dcgan", "ring8", group.part)
    original, calls = models.loss.discriminator_loss, [0]

    def nan_on_rank1(discriminator, real, fake, codes):
        out = original(discriminator, real, fake, codes)
        calls[0] += 1  # the first call is DDP's probe for unused parameters
        if group.world.rank == 1 and calls[0] == 3:
            out = LossOutput(out.total * float("nan"), out.terms)
        return out

    models.loss.discriminator_loss = nan_on_rank1
    result = train(models, batches, _config(), CPU, parallel=group.steps())
    return result.status, result.diverged_step


def _failing_cell_then_next(world, rendezvous, run_dir: Path):
    """Two cells through the real executor: the first one's loss raises on rank 1 at its 3rd D step."""
    from ganbench.runner.ddp import run_plan_ddp
    from ganbench.runner.local import RunSettings
    from ganbench.runner.plan import DataConfig, EvalOptions, make_plan

    registry = get_registry()
    registry.add_plugin(_FailingLossPlugin(), PluginOrigin("failing", "ganbench-tests", "0"))
    failing = make_plan(
        registry,
        variants=["custom"],
        datasets=["ring8"],
        seeds=[0],
        data=DataConfig(root=Path(".")),
        composition=Composition(loss="fails-on-rank1"),
        train_overrides={"steps": 20, "batch_size": BATCH, "log_every": 5},
    )
    fine = make_plan(
        registry,
        variants=["dcgan"],
        datasets=["ring8"],
        seeds=[1],
        data=DataConfig(root=Path(".")),
        train_overrides={"steps": 10, "batch_size": BATCH, "log_every": 5},
    )
    failing.cells += fine.cells
    settings = RunSettings(run_dir=run_dir, device=CPU, evaluation=EvalOptions(enabled=False))
    table = run_plan_ddp(registry, failing, settings, world, rendezvous=rendezvous)
    return None if table is None else table[["cell_id", "status", "error", "world_size"]].to_dict("records")


class _FailingLossPlugin:
    @hookimpl
    def ganbench_register(self, registrar):
        from ganbench.builtins.vanilla.losses import NonSaturatingLoss

        class FailsOnRank1(NonSaturatingLoss):
            calls = 0

            def discriminator_loss(self, discriminator, real, fake, codes):
                import torch.distributed as dist

                self.calls += 1
                if dist.get_rank() == 1 and self.calls == 3:
                    raise RuntimeError("injected failure on rank 1\nsecond line")
                return super().discriminator_loss(discriminator, real, fake, codes)

        registrar.add_loss("fails-on-rank1", lambda ctx: FailsOnRank1(), description="raises on rank 1 (tests)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp")
    mp.start_processes(_rank_main, args=(_free_port(), str(out)), nprocs=2, start_method="spawn", join=True)
    return [torch.load(out / f"rank{r}.pt", weights_only=False) for r in range(2)]


def _one_process(variant: str, dataset: str):
    models, batches = _models_and_batches(variant, dataset, None)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return models, train(models, batches, _config(), CPU)
    finally:
        torch.set_num_threads(threads)


def test_two_ranks_match_one_process_without_batch_norm(two_ranks):
    models, single = _one_process("dcgan", "ring8")
    ddp = two_ranks[0][("dcgan", "ring8")]
    assert [h["step"] for h in ddp["history"]] == list(range(1, STEPS + 1))
    for a, b in zip(ddp["history"], single.history, strict=True):
        for key in ("d_loss", "g_loss"):
            assert a[key] == pytest.approx(b[key], rel=1e-5), (a["step"], key)
    for name, value in models.generator.state_dict().items():
        torch.testing.assert_close(ddp["generator"][name], value, rtol=0, atol=1e-5)


@pytest.mark.parametrize("case", VERIFIED)
def test_replicas_stay_identical(two_ranks, case):
    a, b = two_ranks[0][case], two_ranks[1][case]
    assert a["in_sync"] and b["in_sync"]
    assert a["history"] == b["history"]  # losses are averaged over the ranks before they are recorded


def test_batch_norm_makes_ranks_differ_from_one_process(two_ranks):
    """The reason the exactness test uses a model without BN: per-rank statistics change the trajectory."""
    _, single = _one_process("dcgan", "digits")
    ddp = two_ranks[0][("dcgan", "digits")]["history"]
    assert ddp[0]["d_loss"] != pytest.approx(single.history[0]["d_loss"], rel=1e-4)


def test_a_non_finite_loss_on_one_rank_stops_every_rank_at_that_step(two_ranks):
    assert two_ranks[0]["nan"] == two_ranks[1]["nan"] == ("diverged", 2)


def test_failing_rank_fails_its_cell_with_one_line_and_the_next_cell_runs(two_ranks):
    rows = two_ranks[0]["failure"]
    assert two_ranks[1]["failure"] is None  # only rank 0 returns (and writes) the table
    by_id = {row["cell_id"]: row for row in rows}
    failed, fine = by_id["custom-ring8-s0"], by_id["dcgan-ring8-s1"]
    assert failed["status"] == "failed"
    assert failed["error"] == "rank 1: RuntimeError: injected failure on rank 1"
    assert fine["status"] == "ok" and fine["world_size"] == 2
