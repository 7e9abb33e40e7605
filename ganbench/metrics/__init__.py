"""Sample-quality metrics: one module per job.

* :mod:`.evaluate` - ``evaluate_samples``: every registered metric on one set of samples (a results row);
* :mod:`.suite` - the built-in metrics' computations and the metric columns;
* :mod:`.fid` - FID through torch-fidelity, plus a float64 cross-check;
* :mod:`.kid` - KID in torch, equal to torch-fidelity's (real-side sums cacheable);
* :mod:`.features` - feature extractors by name (inception-v3-compat, ganbench-digits, raw);
* :mod:`.inception` - finding torch-fidelity's InceptionV3 weights, or a clear error;
* :mod:`.digits_classifier` - the shipped digit CNN (features and labels);
* :mod:`.cache` - real-data features and statistics cached on disk;
* :mod:`.prdc`, :mod:`.modes`, :mod:`.ndb`, :mod:`.infogan` - the other metrics.

Nothing is imported here, so importing one metric does not load the others.
"""
