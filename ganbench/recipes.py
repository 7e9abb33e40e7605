"""Recipes and variants: which registered components (and options) a variant uses per kind of data.

Pure data, no torch: plugins declare variants when they register, and listing plugins needs nothing more.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ganbench.data.spec import DataKind


@dataclass(frozen=True)
class Recipe:
    """The concrete components (and their options) a variant uses for one kind of data."""

    generator: str
    discriminator: str
    loss: str
    generator_options: Mapping[str, Any] = field(default_factory=dict)
    discriminator_options: Mapping[str, Any] = field(default_factory=dict)
    loss_options: Mapping[str, Any] = field(default_factory=dict)
    train_options: Mapping[str, Any] = field(default_factory=dict)
    """Overrides of the training defaults, e.g. ``{"lr_g": 1e-4, "d_steps": 5}``."""


@dataclass(frozen=True)
class Variant:
    """A named GAN variant: one recipe per kind of data it supports."""

    name: str
    description: str
    recipes: Mapping[DataKind, Recipe]

    def recipe_for(self, kind: DataKind) -> Recipe | None:
        return self.recipes.get(kind)
