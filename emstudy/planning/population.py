"""Populations of a planning study: what one replication's data are drawn from.

Every population is a frozen dataclass with ``draw(n, rng) -> pandas.DataFrame``; everything it needs is
computed once when it is built, so a draw is a few array operations and the object pickles small (the
engine, :mod:`emstudy.planning.engine`, sends it to Dask workers).

* :class:`CasePopulation`: a case's synthetic generator *as designed* (:mod:`emstudy.survey.simulate`) at any
  n, encoded as notebook 01 encodes it (reverse keys scored back, non-response missing, careless respondents
  flagged and dropped by the study's rules, construct scores as the mean of the answered items).
* :class:`PlacesPopulation`: one place drawn at n beside the other places at their own fixed n (for
  comparisons of a place with the others); :meth:`PlacesPopulation.from_cases` for every case as designed.
* :class:`ScorePopulation`: the study *as fitted*, on the construct-score scale: per place a multivariate
  normal with the observed means and (pairwise-complete) covariance and the observed missing rates.
* :class:`ModelPopulation`: any lavaan-syntax model with population values, as ``lavaan::simulateData``.
* :class:`MultiGroupPopulation`: several populations stacked as groups (for invariance).

The data are SYNTHETIC: say so wherever a planning result appears.

References
----------
Muthén, L. K., & Muthén, B. O. (2002). How to use a Monte Carlo study to decide on sample size and
determine power. *Structural Equation Modeling*, 9(4), 599-620.
Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. *Journal of Statistical
Software*, 48(2), 1-36 (``simulateData``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from emstudy.errors import EmstudyError
from emstudy.stats import parse_sem
from emstudy.survey.cases import Case
from emstudy.survey.codebook import Codebook
from emstudy.survey.encode import construct_scores, encode, quality_flags, reverse_key
from emstudy.survey.simulate import SimulationSettings, draw_responses

__all__ = [
    "CasePopulation",
    "PlacesPopulation",
    "ScorePopulation",
    "ModelPopulation",
    "MultiGroupPopulation",
    "check_n",
]


def check_n(n: object) -> int:
    """``n`` as an int, or a one-line error naming ``n`` (a population needs at least 2 rows)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise EmstudyError(f"n: expected a whole number of respondents from 2 upwards, got {n!r}")
    return int(n)


def _check_rng(rng: object) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise EmstudyError(f"rng: expected a numpy.random.Generator, got {type(rng).__name__}")
    return rng


def _check_rate(name: str, rate: float | None) -> float | None:
    if rate is not None and not (isinstance(rate, (int, float)) and not isinstance(rate, bool) and 0 <= rate < 1):
        raise EmstudyError(f"{name}: expected a share in [0, 1) or None (the study's), got {rate!r}")
    return rate


# ------------------------------------------------------------------------------------- as designed

#: The study's generator settings (:class:`emstudy.survey.simulate.SimulationSettings` defaults).
STUDY_SETTINGS = SimulationSettings()
#: A construct score needs this share of its items answered (:func:`emstudy.survey.encode.construct_scores`).
_MIN_ANSWERED = construct_scores.__kwdefaults__["min_answered"]
#: The quality rules' thresholds notebook 01 applies (:func:`emstudy.survey.encode.encode`'s defaults).
_FLAG_RULES = {k: encode.__kwdefaults__[k] for k in ("speeding_fraction", "straightlining_min_answered")}


@dataclass(frozen=True)
class CasePopulation:
    """A case's synthetic generator as designed, drawn at any n and encoded as notebook 01 encodes it.

    Build it with :meth:`from_case`. ``draw(n, rng)`` draws ``n`` respondents who submit the questionnaire
    (:func:`emstudy.survey.simulate.draw_responses`: careless ones and item non-response included), flags them
    with the study's rules (:func:`emstudy.survey.encode.quality_flags`: straight-lining, speeding) and keeps
    the others, as notebook 01's ``encoded.csv``: items with reverse keys scored back (NaN when not
    answered), role, overall rating and duration, then the construct scores (mean of the answered items,
    :func:`emstudy.survey.encode.construct_scores`) under the construct ids and ``case_col`` with the case id.
    The rows kept are therefore fewer than ``n`` (by the careless share): ``n`` is what is collected.

    References
    ----------
    Meade, A. W., & Craig, S. B. (2012). Identifying careless responses in survey data. *Psychological
    Methods*, 17(3), 437-455.
    """

    case: Case
    codebook: Codebook
    settings: SimulationSettings = STUDY_SETTINGS
    missing_rate: float | None = None
    careless_rate: float | None = None
    case_col: str = "case"

    @classmethod
    def from_case(
        cls,
        case: Case,
        codebook: Codebook,
        settings: SimulationSettings = STUDY_SETTINGS,
        *,
        missing_rate: float | None = None,
        careless_rate: float | None = None,
        case_col: str = "case",
    ) -> CasePopulation:
        """The population of ``case`` (rates None: the study's, from ``settings``)."""
        if not isinstance(case, Case):
            raise EmstudyError(f"case: expected an emstudy.survey.cases.Case, got {type(case).__name__}")
        if not isinstance(codebook, Codebook):
            raise EmstudyError(f"codebook: expected an emstudy.survey.codebook.Codebook, got {type(codebook).__name__}")
        _check_rate("missing_rate", missing_rate)
        _check_rate("careless_rate", careless_rate)
        return cls(case, codebook, settings, missing_rate, careless_rate, case_col)

    def draw(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        """The kept respondents of ``n`` drawn (see the class)."""
        raw = draw_responses(
            self.case, self.codebook, self.settings, n=check_n(n), rng=_check_rng(rng),
            missing_rate=self.missing_rate, careless_rate=self.careless_rate,
        )  # fmt: skip
        cb = self.codebook
        answers = raw[list(cb.item_ids)]
        background = raw.drop(columns=list(cb.item_ids))
        flags = quality_flags(answers, background, cb, has_id=True, **_FLAG_RULES)
        keep = ~flags["any"].to_numpy()
        items = reverse_key(answers[keep], cb)
        out = pd.concat([background[keep], items], axis=1)
        values = items.to_numpy(dtype=float)
        for construct, columns in cb.scales().items():  # construct_scores' rule, on arrays
            block = values[:, [items.columns.get_loc(c) for c in columns]]
            answered = (~np.isnan(block)).sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = np.nansum(block, axis=1) / answered
            enough = answered >= math.ceil(_MIN_ANSWERED * len(columns) - 1e-9)
            out[construct] = np.where(enough, mean, np.nan)
        out[self.case_col] = self.case.id
        return out


# ------------------------------------------------------------------------------------- several places


@dataclass(frozen=True)
class PlacesPopulation:
    """One place drawn at n beside the other places at their own fixed sizes, stacked with ``case_col``.

    Parameters
    ----------
    place : str
        The place whose sample size is planned.
    populations : tuple of (str, population)
        Every place (``place`` among them) and its population, in the order the rows are stacked.
    sizes : tuple of (str, int)
        The fixed n of every other place.
    case_col : str
        The column naming each row's place (categorical, the places in order).

    Notes
    -----
    Each place draws from its own child stream of ``rng`` (``rng.spawn``), so the other places' rows do not
    depend on how many rows the planned place draws.
    """

    place: str
    populations: tuple[tuple[str, object], ...]
    sizes: tuple[tuple[str, int], ...]
    case_col: str = "case"

    def __post_init__(self) -> None:
        names = [name for name, _ in self.populations]
        if self.place not in names:
            raise EmstudyError(f"place: {self.place!r} is not among the places {names}")
        missing = [name for name in names if name != self.place and name not in dict(self.sizes)]
        if missing:
            raise EmstudyError(f"sizes: no sample size for the place(s) {missing}; give each other place its n")

    @classmethod
    def from_cases(
        cls,
        cases: Sequence[Case],
        codebook: Codebook,
        *,
        place: str,
        settings: SimulationSettings = STUDY_SETTINGS,
        missing_rate: float | None = None,
        careless_rate: float | None = None,
        case_col: str = "case",
    ) -> PlacesPopulation:
        """Every case as designed (:class:`CasePopulation`), the others at their case file's n."""
        pops = tuple(
            (c.id, CasePopulation.from_case(c, codebook, settings, missing_rate=missing_rate,
                                            careless_rate=careless_rate, case_col=case_col))
            for c in cases
        )  # fmt: skip
        return cls(place, pops, tuple((c.id, c.sample.n) for c in cases if c.id != place), case_col)

    def draw(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        """``place`` at ``n``, the others at their sizes, each from its own child stream of ``rng``."""
        n = check_n(n)
        streams = _check_rng(rng).spawn(len(self.populations))
        sizes = dict(self.sizes)
        parts = []
        for (name, pop), stream in zip(self.populations, streams):
            part = pop.draw(n if name == self.place else sizes[name], stream)
            parts.append(part.assign(**{self.case_col: name}))
        out = pd.concat(parts, ignore_index=True)
        out[self.case_col] = pd.Categorical(out[self.case_col], categories=[name for name, _ in self.populations])
        return out


# ------------------------------------------------------------------------------------- as fitted


def _factor(cov: np.ndarray) -> np.ndarray:
    """A matrix ``L`` with ``L @ L.T == cov``: Cholesky, or the eigen root with negative eigenvalues set to 0
    for a pairwise-complete matrix that is not positive definite."""
    try:
        return np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        w, v = np.linalg.eigh((cov + cov.T) / 2)
        return v * np.sqrt(np.clip(w, 0, None))


@dataclass(frozen=True, eq=False)
class ScorePopulation:
    """The study as fitted, on the construct-score scale: a multivariate normal per place.

    Build it with :meth:`from_scores`. Each place's scores are drawn from a multivariate normal with the
    place's observed means and pairwise-complete covariance matrix, then each value is left missing with
    the column's observed missing share in that place (completely at random). ``draw(n, rng)`` draws
    ``place`` at ``n`` and every other place at its observed number of rows, each place from its own child
    stream of ``rng`` (``rng.spawn``), so the others' rows do not depend on ``n``; one frame with
    ``case_col`` (categorical, the places in order). Scores are not bounded to the answer scale (a normal
    approximation of a mean of Likert items).

    References
    ----------
    Muthén, L. K., & Muthén, B. O. (2002). How to use a Monte Carlo study to decide on sample size and
    determine power. *Structural Equation Modeling*, 9(4), 599-620.
    """

    place: str
    columns: tuple[str, ...]
    places: tuple[str, ...]
    sizes: tuple[int, ...]
    means: tuple[np.ndarray, ...] = field(repr=False)
    factors: tuple[np.ndarray, ...] = field(repr=False)
    missing: tuple[np.ndarray, ...] = field(repr=False)
    case_col: str = "case"

    @classmethod
    def from_scores(
        cls, scores: pd.DataFrame, *, place: str, columns: Sequence[str] | None = None, case_col: str = "case"
    ) -> ScorePopulation:
        """Estimate the population from observed construct scores (one row per respondent, ``case_col``).

        ``columns`` None: every numeric column but ``case_col``. Places are the categories of ``case_col``
        that occur (its order if categorical, else sorted).
        """
        if not isinstance(scores, pd.DataFrame) or case_col not in scores.columns:
            raise EmstudyError(f"scores: expected a DataFrame with the column {case_col!r} naming each row's place")
        if columns is None:
            columns = [c for c in scores.columns if c != case_col and pd.api.types.is_numeric_dtype(scores[c])]
        columns = list(columns)
        absent = [c for c in columns if c not in scores.columns]
        if not columns or absent:
            raise EmstudyError(f"columns: {absent or 'none'} not in scores; available: {list(scores.columns)}")
        series = scores[case_col]
        if isinstance(series.dtype, pd.CategoricalDtype):
            present = set(series.dropna().unique())
            places = [str(c) for c in series.cat.categories if c in present]
        else:
            places = sorted(str(c) for c in series.dropna().unique())
        if str(place) not in places:
            raise EmstudyError(f"place: {place!r} is not among the places in scores {places}")
        means, factors, missing, sizes = [], [], [], []
        for name in places:
            block = scores.loc[series.astype(str) == name, columns].astype(float)
            if len(block) < 2 or block.notna().sum().min() < 2:
                raise EmstudyError(f"scores: place {name!r} needs at least 2 scores in every column {columns}")
            cov = block.cov().to_numpy()
            if not np.isfinite(cov).all():
                raise EmstudyError(f"scores: place {name!r} has a pair of columns never observed together")
            means.append(block.mean().to_numpy())
            factors.append(_factor(cov))
            missing.append(block.isna().mean().to_numpy())
            sizes.append(len(block))
        return cls(str(place), tuple(columns), tuple(places), tuple(sizes), tuple(means), tuple(factors),
                   tuple(missing), case_col)  # fmt: skip

    def draw(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        """``place`` at ``n`` and the others at their observed n (see the class)."""
        n = check_n(n)
        streams = _check_rng(rng).spawn(len(self.places))
        parts, labels = [], []
        for i, name in enumerate(self.places):
            m = n if name == self.place else self.sizes[i]
            z = streams[i].standard_normal((m, len(self.columns)))
            x = self.means[i] + z @ self.factors[i].T
            x[streams[i].random(x.shape) < self.missing[i]] = np.nan
            parts.append(x)
            labels += [name] * m
        out = pd.DataFrame(np.vstack(parts), columns=list(self.columns))
        out[self.case_col] = pd.Categorical(labels, categories=list(self.places))
        return out


# ------------------------------------------------------------------------------------- lavaan syntax


def _model_moments(
    syntax: str, *, standardized: bool, ordered: Sequence[str] = ()
) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """Observed names, mean vector and covariance matrix of a lavaan-syntax population model.

    lavaan's ``simulateData`` conventions (0.6.14): loadings without a value are 1 (0.7 with
    ``standardized``), variances without a value are 1 (every observed and latent variable has one),
    regression coefficients, covariances and intercepts without a value are 0. With ``standardized``, the
    residual variances of the endogenous latent variables are set to ``1 -`` their variance with zero
    residual variances, then those of the observed variables that are not exogenous to ``1 -`` theirs, in
    two stages as ``simulateData`` does (exact for one level of regressions; a longer chain of regressions
    among latent or observed variables keeps lavaan's approximation). An ``ordered`` variable's latent
    response has unit variance (lavaan's delta parameterization: its residual variance is 1 minus the
    variance explained) and mean 0.
    """
    sm = parse_sem(syntax)  # defined parameters (:=) do not change the population
    lat = list(sm.factors)
    obs = list(sm.observed)
    names = obs + lat
    pos = {v: i for i, v in enumerate(names)}
    k = len(names)
    A, S, m = np.zeros((k, k)), np.zeros((k, k)), np.zeros(k)
    variance_given = set()
    for s in sm.statements:
        value = s.fixed
        if s.by_group:
            raise EmstudyError(f"model line {s.line}: group-specific modifiers c(...) are not a population value")
        if s.op == "=~":
            A[pos[s.rhs], pos[s.lhs]] = (0.7 if standardized else 1.0) if value is None else value
        elif s.op == "~":
            A[pos[s.lhs], pos[s.rhs]] = 0.0 if value is None else value
        elif s.op == "~1":
            m[pos[s.lhs]] = 0.0 if value is None else value
        elif s.lhs == s.rhs:
            S[pos[s.lhs], pos[s.lhs]] = 1.0 if value is None else value
            variance_given.add(s.lhs)
        else:
            S[pos[s.lhs], pos[s.rhs]] = S[pos[s.rhs], pos[s.lhs]] = 0.0 if value is None else value
    for v in names:
        if v not in variance_given:
            S[pos[v], pos[v]] = 1.0
    inv = np.linalg.inv(np.eye(k) - A)
    if standardized:
        indicators = {s.rhs for s in sm.statements if s.op == "=~"}
        outcomes = {s.lhs for s in sm.statements if s.op == "~"}
        lv_nox = [pos[v] for v in lat if v in indicators | outcomes]
        ov_x = {s.rhs for s in sm.statements if s.op == "~"} - indicators - outcomes - set(lat)
        ov_nox = [pos[v] for v in obs if v not in ov_x]
        S[lv_nox, lv_nox] = 0.0
        S[ov_nox, ov_nox] = 0.0
        S[lv_nox, lv_nox] = 1.0 - np.diag(inv @ S @ inv.T)[lv_nox]
        S[ov_nox, ov_nox] = 1.0 - np.diag(inv @ S @ inv.T)[ov_nox]
    cuts = [pos[v] for v in ordered]
    S[cuts, cuts] = 0.0
    S[cuts, cuts] = 1.0 - np.diag(inv @ S @ inv.T)[cuts]
    m[cuts] = 0.0
    cov = inv @ S @ inv.T
    mean = inv @ m
    n_obs = len(obs)
    return tuple(obs), mean[:n_obs], cov[:n_obs, :n_obs]


@dataclass(frozen=True, eq=False)
class ModelPopulation:
    """A lavaan-syntax model with population values, drawn as ``lavaan::simulateData`` draws it.

    Parameters
    ----------
    syntax : str
        lavaan syntax with values, e.g. ``"f =~ 0.7*x1 + 0.7*x2 + 0.7*x3; g =~ ...; f ~~ 0.3*g; y ~ 0.4*f"``
        (parsed by :func:`emstudy.stats.parse_sem`). Conventions of ``simulateData`` (lavaan 0.6.14): a
        loading without a value is 1, a variance without a value is 1 (also the residual variance of
        every item: ``f =~ 0.7*x1`` gives ``x1`` a variance of 1.49), regression coefficients, covariances
        and intercepts without a value are 0.
    ordered : mapping of str to sequence of float, optional
        Thresholds per observed variable, as ``x | t1 + t2`` in ``simulateData``'s syntax: the variable's
        latent response has unit variance and mean 0 (lavaan's delta parameterization: its residual
        variance is 1 minus the variance the model explains, whatever the syntax says) and is cut into
        categories 1..K+1 (``cut`` with right-closed intervals: a value equal to a threshold falls in the
        lower category).
    standardized : bool
        ``simulateData(standardized = TRUE)``: residual variances chosen so that the latent and observed
        variables have unit variance (loadings without a value 0.7).

    Notes
    -----
    Rows are ``mean + z @ L.T`` with ``z`` standard normal and ``L`` the Cholesky factor of the implied
    covariance matrix (``simulateData`` uses ``MASS::mvrnorm``: the same distribution, other numbers).

    References
    ----------
    Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. *Journal of Statistical
    Software*, 48(2), 1-36.
    """

    syntax: str
    ordered: Mapping[str, Sequence[float]] | None = None
    standardized: bool = False
    names: tuple[str, ...] = field(init=False, repr=False)
    mean: np.ndarray = field(init=False, repr=False)
    cov: np.ndarray = field(init=False, repr=False)
    _chol: np.ndarray = field(init=False, repr=False)
    _cuts: tuple[tuple[int, np.ndarray], ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        ordered = dict(self.ordered or {})
        try:
            observed = parse_sem(self.syntax).observed
            absent = [item for item in ordered if item not in observed]
            if absent:
                raise EmstudyError(f"ordered: {absent[0]!r} is not an observed variable of the model {list(observed)}")
            names, mean, cov = _model_moments(self.syntax, standardized=bool(self.standardized), ordered=list(ordered))
        except ValueError as exc:
            raise EmstudyError(f"syntax: {exc}") from None
        try:
            chol = np.linalg.cholesky(cov)
        except np.linalg.LinAlgError:
            raise EmstudyError(
                "syntax: the model's implied covariance matrix is not positive definite; check the values "
                "(a variance below the variance a path explains, a correlation beyond 1)"
            ) from None
        cuts = []
        for item, thresholds in ordered.items():
            th = np.asarray(thresholds, dtype=float)
            if th.ndim != 1 or not len(th) or not np.isfinite(th).all() or np.any(np.diff(th) <= 0):
                raise EmstudyError(f"ordered: the thresholds of {item!r} must be increasing finite numbers")
            cuts.append((names.index(item), th))
        for name, value in (("names", names), ("mean", mean), ("cov", cov), ("_chol", chol), ("_cuts", tuple(cuts))):
            object.__setattr__(self, name, value)

    def draw(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        """``n`` rows of the observed variables (columns in the order of first appearance in the syntax)."""
        z = _check_rng(rng).standard_normal((check_n(n), len(self.names)))
        x = self.mean + z @ self._chol.T
        for j, th in self._cuts:
            x[:, j] = 1 + np.searchsorted(th, x[:, j], side="left")
        return pd.DataFrame(x, columns=list(self.names))


@dataclass(frozen=True)
class MultiGroupPopulation:
    """Several populations as groups: ``draw(n, rng)`` draws ``n`` rows from each (its own child stream of
    ``rng``) and stacks them with ``group_col`` (``"g1"``, ``"g2"``, ... unless ``labels`` are given)."""

    populations: tuple[object, ...]
    group_col: str = "group"
    labels: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if len(self.populations) < 2 or not all(callable(getattr(p, "draw", None)) for p in self.populations):
            raise EmstudyError("populations: expected at least two populations with a draw(n, rng) method")
        if self.labels is not None and len(self.labels) != len(self.populations):
            raise EmstudyError(f"labels: expected {len(self.populations)} labels, one per population")

    def draw(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        """``n`` rows per group."""
        n = check_n(n)
        labels = list(self.labels or [f"g{i + 1}" for i in range(len(self.populations))])
        streams = _check_rng(rng).spawn(len(self.populations))
        parts = [p.draw(n, s).assign(**{self.group_col: g}) for p, s, g in zip(self.populations, streams, labels)]
        out = pd.concat(parts, ignore_index=True)
        out[self.group_col] = pd.Categorical(out[self.group_col], categories=labels)
        return out
