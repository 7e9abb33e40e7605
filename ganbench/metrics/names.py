"""Names of the built-in feature extractors, without torch (plugins register them; datasets default to them)."""

INCEPTION_EXTRACTOR = "inception-v3-compat"
"""torch-fidelity's TF-ported InceptionV3 (pool3): the standard for FID comparable with the literature."""
DIGITS_EXTRACTOR = "ganbench-digits"
"""The shipped digit classifier's penultimate layer (:mod:`ganbench.metrics.digits_classifier`)."""
