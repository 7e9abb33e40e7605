"""Hook specifications: the complete list of hooks a ganbench plugin can implement.

A plugin is any importable module or object exposed through the ``ganbench``
entry-point group. It implements hooks by decorating functions with
:data:`ganbench.plugin.hookimpl`. Hook names are project-prefixed, so a typo is
caught: a function marked ``@hookimpl`` whose name is not below is an error.

Hook arguments are only ever added, never removed. Pluggy lets an
implementation accept a subset of the arguments, so a plugin written against
an older API keeps working.

A complete plugin package (``pyproject.toml``)::

    [project.entry-points.ganbench]
    my_gan = "my_gan.plugin"
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from ganbench.registrar import Registrar

hookspec = pluggy.HookspecMarker("ganbench")


@hookspec
def ganbench_register(registrar: Registrar) -> None:
    """Register generators, discriminators, losses, datasets, variants, metrics, feature extractors,
    training seams and the search ranges of their options (for ``ganbench sweep``).

    Called once per plugin when the registry loads. Everything goes through the
    typed ``registrar``; it validates each entry and names your plugin in any
    error. Example (``my_gan/plugin.py``)::

        import torch
        from torch import nn
        from ganbench.plugin import (
            BuildContext, FloatRange, GANLoss, LossOutput, Recipe, Variant, hookimpl,
        )

        class HingeLoss(GANLoss):
            def __init__(self, ctx: BuildContext, *, margin: float = 1.0):
                super().__init__()
                self.margin = margin

            def discriminator_loss(self, discriminator, real, fake, codes):
                d_real, d_fake = discriminator(real), discriminator(fake)
                m = self.margin
                return LossOutput(
                    torch.relu(m - d_real).mean() + torch.relu(m + d_fake).mean()
                )

            def generator_loss(self, discriminator, fake, codes):
                return LossOutput(-discriminator(fake).mean())

        @hookimpl
        def ganbench_register(registrar):
            registrar.add_loss(
                "my-hinge", HingeLoss, description="Hinge loss (Lim & Ye 2017)."
            )
            # what `ganbench sweep` may try for its option (a --space file overrides it)
            registrar.add_search_space(
                "loss", "my-hinge", {"margin": FloatRange(0.1, 10.0, log=True)}
            )
            registrar.add_variant(Variant(
                name="my-hinge-dcgan",
                description="DCGAN trained with the hinge loss.",
                recipes={
                    "image": Recipe("dcgan", "dcgan", "my-hinge"),
                    "points": Recipe("mlp", "mlp", "my-hinge"),
                },
            ))
    """


@hookspec
def ganbench_cell_finished(row: Mapping[str, Any], cell_dir: Path) -> None:
    """Observe one finished benchmark cell (a variant on a dataset with a seed).

    ``row`` is a read-only view of the cell's results row (what became its
    line of the results table, already written to ``cell_dir``); assigning to
    it raises ``TypeError`` (logged as a warning naming your plugin; the
    run goes on). To add a column, register a metric with
    ``Registrar.add_metric``. ``cell_dir`` holds its config, metrics, samples
    and weights. Use it to upload results or send a notification. Example::

        @hookimpl
        def ganbench_cell_finished(row, cell_dir):
            print(f"{row['variant']} on {row['dataset']}: {row['status']}")
    """
