"""Built-in plugin: ganbench's own metrics and feature extractors, on the same seams as a third party's.

Feature extractors (``Registrar.add_feature_extractor``): ``inception-v3-compat`` (torch-fidelity's
TF-ported InceptionV3, pool3), ``ganbench-digits`` (the shipped digit CNN, also registered into
torch-fidelity) and ``raw`` (the samples themselves). Metrics (``Registrar.add_metric``), computed by
default in this order: ``fid`` (FID and KID), ``prdc``, ``ndb``, ``modes`` and ``code-accuracy``
(InfoGAN); for conditional generators ``class_accuracy``, ``intra_fid`` and ``cas``. Each wraps one
function of :mod:`ganbench.metrics.suite`, :mod:`ganbench.metrics.conditional` (or
:mod:`ganbench.runner.codes`), where the definitions and their papers are.
"""

from __future__ import annotations

from ganbench import columns
from ganbench.metrics.names import DIGITS_EXTRACTOR, INCEPTION_EXTRACTOR
from ganbench.plugin import MetricColumn, Registrar, hookimpl, lazy


def _declared(*names: str) -> list[MetricColumn]:
    """The catalogue's declarations of built-in columns (so direction and format have one source)."""
    found = [columns.column(n) for n in names]
    assert all(found), names
    return found  # type: ignore[return-value]


@hookimpl
def ganbench_register(registrar: Registrar) -> None:
    registrar.add_feature_extractor(
        INCEPTION_EXTRACTOR,
        lazy(f"{__name__}.measures:inception"),
        description="torch-fidelity's TF-ported InceptionV3, pool3 (2048-D): FID comparable with the literature.",
    )
    registrar.add_feature_extractor(
        DIGITS_EXTRACTOR,
        lazy(f"{__name__}.measures:digits"),
        description="The shipped digit CNN's penultimate layer (64-D per channel, concatenated).",
        torch_fidelity=lazy("ganbench.metrics.digits_classifier:FeatureExtractorGanbenchDigits"),
    )
    registrar.add_feature_extractor(
        "raw",
        lazy(f"{__name__}.measures:raw"),
        description="The samples themselves, flattened (2D mixtures: FID on the coordinates).",
        data_kinds=("image", "points"),
    )
    registrar.add_metric(
        "fid",
        lazy(f"{__name__}.measures:fid_kid"),
        description="FID (Heusel et al. 2017) and KID (Bińkowski et al. 2018) on the extractor's features.",
        columns=_declared("fid", "kid_mean", "kid_std"),
        protocol=("fid_note", "kid_subset_size", "kid_subsets"),
        needs=("features",),
    )
    registrar.add_metric(
        "prdc",
        lazy(f"{__name__}.measures:prdc"),
        description="Precision, recall, density, coverage (Naeem et al. 2020), k-NN manifolds on the features.",
        columns=_declared("precision", "recall", "density", "coverage"),
        protocol=("prdc_k_pr", "prdc_k_dc"),
        needs=("features",),
    )
    registrar.add_metric(
        "ndb",
        lazy(f"{__name__}.measures:ndb"),
        description="Number of statistically different bins (Richardson & Weiss 2018), k-means on real features.",
        columns=_declared("ndb", "ndb_k", "ndb_js"),
        needs=("features",),
    )
    registrar.add_metric(
        "modes",
        lazy(f"{__name__}.measures:modes"),
        description="Modes captured, high-quality fraction and KL to uniform (mixtures; digits by the classifier).",
        columns=_declared("modes", "hq_fraction", "kl_modes"),
        protocol=("modes_total",),
        needs=("fake",),
    )
    registrar.add_metric(
        "code-accuracy",
        lazy(f"{__name__}.measures:code_accuracy"),
        description="InfoGAN (Chen et al. 2016): categorical-code accuracy on labelled real data.",
        columns=_declared("code_accuracy"),
        needs=("models", "real"),
    )
    registrar.add_metric(
        "class_accuracy",
        lazy(f"{__name__}.measures:class_accuracy"),
        description="Conditional G: share of samples generated for class k that the dataset's classifier assigns to k.",
        columns=_declared("class_accuracy"),
        protocol=("class_accuracy_note",),
        needs=("fake", "fake_labels"),
    )
    registrar.add_metric(
        "intra_fid",
        lazy(f"{__name__}.measures:intra_fid"),
        description="Conditional G: mean over classes of the per-class FID (Miyato & Koyama 2018).",
        columns=_declared("intra_fid", "intra_fid_classes", "intra_fid_n_fake", "intra_fid_n_real"),
        protocol=("intra_fid_note",),
        needs=("features", "labels", "fake_labels"),
    )
    registrar.add_metric(
        "cas",
        lazy(f"{__name__}.measures:cas"),
        description="Conditional G on digits: classification accuracy score (Ravuri & Vinyals 2019).",
        columns=_declared("cas"),
        protocol=("cas_epochs", "cas_n_train"),
        needs=("fake", "fake_labels", "real", "labels"),
        data_kinds=("image",),
    )
