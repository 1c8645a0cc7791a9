"""Planning a survey: Monte Carlo power and sample size on Dask (issue 16).

A population (:mod:`~emstudy.planning.population`) draws a data set of a given size; an analysis
(:mod:`~emstudy.planning.analyses`) returns an :class:`~emstudy.planning.outcome.Outcome`; the engine
(:mod:`~emstudy.planning.engine`) repeats that for a grid of sample sizes on dask.distributed workers and
returns a :class:`~emstudy.planning.result.PowerTable`.
"""
