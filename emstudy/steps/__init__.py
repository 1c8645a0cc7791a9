"""One module per notebook step: the codebook wired into the statistics, results files written.

``data_quality`` (01), ``reliability`` (02), ``structure`` (03), ``drivers`` (04), ``compare`` (05),
``planning`` (06), ``findings`` (07), ``summary`` (08); each has a typed ``run(...)`` returning a frozen results object and
``write_results(results, results_dir)``. ``context`` opens a case (or all cases) for a step, and ``files``
names every results file, so writer and reader share one constant.
"""
