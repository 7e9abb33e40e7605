"""Statistics for comparing GAN variants over a few seeds, one job per module.

* :mod:`.exact` — exact (enumerated) permutation tests, two-sample and paired; p is never 0.
* :mod:`.multiple` — Holm's correction over one family of tests.
* :mod:`.bootstrap` — effect sizes (difference of means, probability of improvement) with seeded
  percentile-bootstrap intervals; IQM and stratified-bootstrap aggregates across datasets.
* :mod:`.intervals` — intervals of a mean: Student t, never clipped; Wilson where t would leave the bounds.

This package imports only numpy and scipy, so any layer (results, sweeps, report) may use it.
"""

from ganbench.results.stats.bootstrap import (
    RESAMPLES,
    SEED,
    Estimate,
    bootstrap_mean_interval,
    effect_sizes,
    iqm,
    percentile_interval,
    probability_of_improvement,
    resample_indices,
    stratified_iqm,
    stratified_probability_of_improvement,
)
from ganbench.results.stats.exact import (
    MAX_EXACT,
    MONTE_CARLO_RESAMPLES,
    PermutationResult,
    paired_permutation_test,
    permutation_test,
    smallest_paired_p,
    smallest_two_sample_p,
)
from ganbench.results.stats.intervals import (
    FEW_SEEDS,
    Interval,
    bounded_interval,
    mean_interval,
    t_interval,
    wilson_interval,
)
from ganbench.results.stats.multiple import family_size, holm

__all__ = [
    "FEW_SEEDS", "MAX_EXACT", "MONTE_CARLO_RESAMPLES", "RESAMPLES", "SEED", "Estimate", "Interval",
    "PermutationResult", "bootstrap_mean_interval", "bounded_interval", "effect_sizes", "family_size", "holm",
    "iqm", "mean_interval", "paired_permutation_test", "percentile_interval", "permutation_test",
    "probability_of_improvement", "resample_indices", "smallest_paired_p", "smallest_two_sample_p",
    "stratified_iqm", "stratified_probability_of_improvement", "t_interval", "wilson_interval",
]  # fmt: skip
