"""The structural part of the engine: lavaan's ``sem()`` parameter table and the B matrix.

The model is in LISREL form, ``Sigma = Lambda A Psi A' Lambda' + Theta`` with
``A = (I - B)^-1``. As lavaan does, an observed variable that takes part in a regression (and is
not an indicator) is represented by a latent variable of its own (loading 1, no residual in
Theta); exogenous observed covariates have their variances and covariances fixed at the sample
values (lavaan's ``fixed.x = TRUE``). :func:`_build_sem_table` applies lavaan's ``sem()``
defaults, group by group (with a mean structure: intercepts free, latent means 0); :class:`_SEMEngine` gives the implied covariance and its analytic derivatives, so that
the ML discrepancy, gradient and expected information of :class:`_Engine` apply unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from emstudy.stats.cfa.engine import _Engine, _Par
from emstudy.stats.cfa.semsyntax import SEMModel

__all__: list[str] = []


@dataclass
class _SPar(_Par):
    label: str = ""
    hidden: bool = False  # the unit loading of an observed variable's own latent: not shown


@dataclass(frozen=True)
class _Layout:
    obs: tuple[str, ...]  # observed variables, fixed-x covariates last
    eta: tuple[str, ...]  # latent variables, then the observed variables in regressions
    latent: frozenset[str]  # the real latent variables
    fixed_x: tuple[str, ...]  # exogenous observed covariates (fixed.x)

    @property
    def observed(self) -> tuple[str, ...]:
        return self.obs

    @property
    def factors(self) -> tuple[str, ...]:
        return tuple(v for v in self.eta if v in self.latent)


def _layout(mm: SEMModel) -> _Layout:
    """Classify the variables as lavaan does; refuse what the engine does not fit."""
    lat = mm.factors
    indicators = {s.rhs for s in mm.statements if s.op == "=~"}
    for s in mm.statements:
        if s.op == "=~" and s.rhs in lat:
            raise ValueError(
                f"model line {s.line}: {s.rhs!r} is a latent variable used as an indicator; "
                "second-order factors are not supported yet"
            )
    in_reg = [v for s in mm.statements if s.op == "~" for v in (s.lhs, s.rhs)]
    ys = {s.lhs for s in mm.statements if s.op == "~"}
    phantom = [v for v in dict.fromkeys(in_reg) if v not in lat]
    for v in phantom:
        if v in indicators:
            line = next(s.line for s in mm.statements if s.op == "~" and v in (s.lhs, s.rhs))
            raise ValueError(
                f"model line {line}: {v!r} is an indicator and also in a regression; "
                "regressions of indicators are not supported yet"
            )
    fixed_x = tuple(v for v in phantom if v not in ys)
    obs = tuple(v for v in mm.observed if v not in fixed_x) + fixed_x
    return _Layout(obs=obs, eta=tuple(lat) + tuple(phantom), latent=frozenset(lat), fixed_x=fixed_x)


class _Table:
    """The parameter table under construction: free parameters sharing a label share an index (in
    every group, as lavaan's single labels do)."""

    def __init__(self) -> None:
        self.rows: list[_SPar] = []
        self.ids: dict[str, int] = {}
        self.nfree = 0
        self.group = 0

    def add(self, lhs, op, rhs, mat, row, col, *, label="", fixed=None, value=0.0, hidden=False) -> None:
        g = self.group
        if fixed is not None:
            self.rows.append(_SPar(lhs, op, rhs, g, mat, row, col, -1, float(fixed), label, hidden))
            return
        if label and label in self.ids:
            free = self.ids[label]
        else:
            free, self.nfree = self.nfree, self.nfree + 1
            if label:
                self.ids[label] = free
        self.rows.append(_SPar(lhs, op, rhs, g, mat, row, col, free, value, label, hidden))


_SEM_EQUAL = (
    "loadings",
    "intercepts",
    "means",
    "residuals",
    "residual.covariances",
    "lv.variances",
    "lv.covariances",
    "regressions",
)


def _build_sem_table(
    mm: SEMModel,
    lay: _Layout,
    S: list[np.ndarray],
    means: list[np.ndarray],
    *,
    std_lv: bool,
    meanstructure: bool,
    equal: tuple[str, ...] = (),
    partial: tuple[str, ...] = (),
) -> tuple[list[_SPar], int]:
    """lavaan's ``sem()`` parameter table, group by group: the statements as written, then the
    defaults (residual variances, latent variances, covariances of exogenous latents and of the
    pure endogenous variables, fixed-x covariances, intercepts and latent means); then the
    ``group.equal`` constraints (``equal``, less the parameters in ``partial``)."""
    tab = _Table()
    G = len(S)
    for g in range(G):
        tab.group = g
        written: set = set()
        for s in mm.statements:
            _add_statement(tab, s, mm, lay, S[g], means[g], std_lv=std_lv, ngroups=G)
            written.add(frozenset((s.lhs, s.rhs)) if s.op == "~~" else (s.lhs, s.op))
        for v in lay.eta:
            if v not in lay.latent:
                tab.add(v, "=~", v, "L", lay.obs.index(v), lay.eta.index(v), fixed=1.0, hidden=True)
        free_var = g > 0 and "loadings" in equal and "lv.variances" not in equal
        _add_defaults(tab, mm, lay, S[g], written, std_lv=std_lv and not free_var)
        if meanstructure:
            _add_means(tab, lay, means[g], written, free=g > 0 and "intercepts" in equal and "means" not in equal)
    return _group_equal(tab.rows, lay, equal, {p.replace(" ", "") for p in partial})


def _equal_kind(t: _SPar, lay: _Layout) -> str:
    """The ``group.equal`` class of a parameter (lavaan's names), ``""`` for none."""
    if t.op == "=~":
        return "" if t.hidden else "loadings"
    if t.op == "~":
        return "regressions"
    if t.op == "~1":
        return "means" if t.lhs in lay.latent else "intercepts"
    lat = (t.lhs in lay.latent) + (t.rhs in lay.latent)
    if t.lhs == t.rhs:
        return "lv.variances" if lat else "residuals"
    return "lv.covariances" if lat == 2 else "residual.covariances" if lat == 0 else ""


def _group_equal(rows: list[_SPar], lay: _Layout, equal: tuple[str, ...], partial: set) -> tuple[list[_SPar], int]:
    """Make the unlabelled parameters of the classes in ``equal`` equal to their group-1 counterpart
    (a free one shares its index; one fixed in group 1 is fixed at that value), as lavaan's
    ``group.equal``; renumber the free parameters in order of first appearance."""

    def key(t: _SPar) -> tuple:
        return (t.lhs, t.op, t.rhs) if t.op != "~~" else (min(t.lhs, t.rhs), "~~", max(t.lhs, t.rhs))

    first = {key(t): t for t in rows if t.group == 0}
    parent = list(range(max((t.free for t in rows), default=-1) + 1))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    out = []
    for t in rows:
        ref = first.get(key(t))
        if t.group > 0 and t.free >= 0 and not t.label and ref is not None and _equal_kind(t, lay) in equal:
            if f"{t.lhs}{t.op}{t.rhs}" not in partial and f"{t.rhs}{t.op}{t.lhs}" not in partial:
                if ref.free < 0:
                    t = _SPar(t.lhs, t.op, t.rhs, t.group, t.mat, t.row, t.col, -1, ref.value, t.label, t.hidden)
                else:
                    parent[root(t.free)] = root(ref.free)
        out.append(t)
    number: dict[int, int] = {}
    for t in out:
        if t.free >= 0:
            t.free = number.setdefault(root(t.free), len(number))
    return out, len(number)


def _add_statement(
    tab: _Table, s, mm: SEMModel, lay: _Layout, S: np.ndarray, mean: np.ndarray, *, std_lv: bool, ngroups: int
):
    obs, eta = lay.obs, lay.eta
    label, fixed, free_marker = s.modifier(tab.group, ngroups)
    if s.op == "=~":
        if fixed is None and mm.items_of(s.lhs)[0] == s.rhs and not std_lv and not free_marker:
            fixed = 1.0
        start = _loading_start(mm.items_of(s.lhs)[0], s.rhs, lay, S)
        tab.add(s.lhs, s.op, s.rhs, "L", obs.index(s.rhs), eta.index(s.lhs), label=label, fixed=fixed, value=start)
    elif s.op == "~":
        tab.add(s.lhs, s.op, s.rhs, "B", eta.index(s.lhs), eta.index(s.rhs), label=label, fixed=fixed)
    elif s.op == "~1":
        v = s.lhs
        start = 0.0 if v in lay.latent else mean[obs.index(v)]
        mat, row = ("a", eta.index(v)) if v in eta else ("nu", obs.index(v))
        tab.add(v, "~1", "", mat, row, 0, label=label, fixed=fixed, value=start)
    elif s.lhs in eta and s.rhs in eta:
        i, j = eta.index(s.lhs), eta.index(s.rhs)
        start = 0.05 if s.lhs in lay.latent else 0.5 * S[obs.index(s.lhs), obs.index(s.lhs)]
        tab.add(s.lhs, "~~", s.rhs, "P", max(i, j), min(i, j), label=label, fixed=fixed, value=start * (i == j))
    elif s.lhs not in eta and s.rhs not in eta:
        i, j = obs.index(s.lhs), obs.index(s.rhs)
        tab.add(s.lhs, "~~", s.rhs, "T", max(i, j), min(i, j), label=label, fixed=fixed, value=0.5 * S[i, i] * (i == j))
    else:
        raise ValueError(
            f"model line {s.line}: covariance '{s.lhs} ~~ {s.rhs}' between a latent variable and an indicator "
            "is not supported"
        )


def _loading_start(first: str, item: str, lay: _Layout, S: np.ndarray | None) -> float:
    """The start value of a loading: 1, or -1 where the item covaries negatively with its factor's first item.

    With every loading at +1 and a reverse-keyed first item (the marker), the optimizer starts on the wrong side
    of a zero factor variance and can end there (bfi's agreeableness with A1 first); the sign of the sample
    covariance puts it on the right side. Items of other factors, latent indicators and a covariance of exactly
    0 keep +1.
    """
    observed = [v for v in (first, item) if v in lay.obs and v not in lay.latent]
    if S is None or len(observed) < 2 or first == item:
        return 1.0
    return -1.0 if S[lay.obs.index(item), lay.obs.index(first)] < 0 else 1.0


def _add_defaults(tab: _Table, mm: SEMModel, lay: _Layout, S: np.ndarray, written: set, *, std_lv: bool) -> None:
    obs, eta = lay.obs, lay.eta
    for j, v in enumerate(obs):
        if v in lay.fixed_x or frozenset((v,)) in written:
            continue
        if v in eta:
            tab.add(v, "~~", v, "P", eta.index(v), eta.index(v), value=0.5 * S[j, j])
        else:
            tab.add(v, "~~", v, "T", j, j, value=0.5 * S[j, j])
    for f in mm.factors:
        if frozenset((f,)) not in written:
            k = eta.index(f)
            tab.add(f, "~~", f, "P", k, k, fixed=1.0 if std_lv else None, value=0.05)
    ys = {s.lhs for s in mm.statements if s.op == "~"}
    xs = {s.rhs for s in mm.statements if s.op == "~"}
    exo_lat = [f for f in mm.factors if f not in ys]
    pure_y = [v for v in eta if v in ys and v not in xs]
    for group in (exo_lat, pure_y):
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                if frozenset((a, b)) not in written:
                    tab.add(a, "~~", b, "P", eta.index(b), eta.index(a), value=0.0)
    for i, a in enumerate(lay.fixed_x):
        for b in lay.fixed_x[i:]:
            if frozenset((a, b)) not in written:
                ja, jb = obs.index(a), obs.index(b)
                tab.add(a, "~~", b, "P", eta.index(b), eta.index(a), fixed=S[ja, jb])


def _add_means(tab: _Table, lay: _Layout, mean: np.ndarray, written: set, *, free: bool = False) -> None:
    """Intercepts of the observed variables free (fixed at the sample mean for fixed-x covariates),
    latent means fixed to 0 (free with ``free``: groups beyond the first with equal intercepts),
    unless written."""
    obs, eta = lay.obs, lay.eta
    for j, v in enumerate(obs):
        if (v, "~1") in written:
            continue
        if v not in eta:
            tab.add(v, "~1", "", "nu", j, 0, value=mean[j])
        else:
            tab.add(v, "~1", "", "a", eta.index(v), 0, value=mean[j], fixed=mean[j] if v in lay.fixed_x else None)
    for v in eta:
        if v in lay.latent and (v, "~1") not in written:
            tab.add(v, "~1", "", "a", eta.index(v), 0, fixed=None if free else 0.0)


class _SEMEngine(_Engine):
    """:class:`_Engine` with the B matrix: implied moments and their analytic derivatives. A model without
    regressions (no ``B`` row in its table, e.g. every model of :func:`~emstudy.stats.cfa.estimate.cfa`)
    has ``A = (I - B)^-1 = I``: its matrices are then the CFA engine's five, whose derivatives need no
    inverse (the same numbers: products with the identity are exact)."""

    def __init__(self, table: list[_Par], *args, **kwargs) -> None:
        super().__init__(table, *args, **kwargs)
        self.has_b = any(t.mat == "B" for t in table)

    def matrices(self, x: np.ndarray, g: int):
        """Lambda, Theta, Psi, nu, alpha and B (from the engine's index arrays, no loop over the table);
        without regressions the first five."""
        mats = self._fill(x, g)
        return mats if self.has_b else mats[:5]

    def parts(self, x: np.ndarray, g: int):
        """Lambda, Theta, Psi, B, A = (I - B)^-1 and the latent covariance A Psi A'."""
        L, T, P, nu, a, B = self._fill(x, g)
        if not self.has_b:
            return L, T, P, B, np.eye(self.m), P.copy(), nu, a
        A = np.linalg.inv(np.eye(self.m) - B)
        return L, T, P, B, A, A @ P @ A.T, nu, a

    def implied(self, x: np.ndarray, g: int):
        L, T, P, B, A, M, nu, a = self.parts(x, g)
        Sigma = L @ M @ L.T + T
        mu = (nu + (L @ A @ a if self.has_b else L @ a)) if self.meanstructure else self.means[g].copy()
        return Sigma, mu

    # jacobian: the engine's (``_Engine.jacobian_sub``), which covers the B matrix


def _sem_start(table: list[_SPar], nfree: int) -> np.ndarray:
    x = np.zeros(nfree)
    for t in reversed(table):
        if t.free >= 0:
            x[t.free] = t.value
    return x
