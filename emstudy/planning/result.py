"""The table a Monte Carlo power study returns: power per sample size and target, with its Monte Carlo error.

:func:`emstudy.planning.engine.run_power` counts, for every sample size ``n`` and every target an analysis
names, how many replications reached the target; :class:`PowerTable` holds those counts (never the data) and
turns them into power, its Monte Carlo standard error and a Wilson score interval, the smallest sample size
that reaches a power, a text summary and byte-stable CSV.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
from scipy.stats import norm

from emstudy.fileio import SNAP_DIGITS, rounded

__all__ = ["PowerTable", "COLUMNS"]

#: The columns of :meth:`PowerTable.to_frame` and :meth:`PowerTable.to_csv_bytes`, in order.
COLUMNS: tuple[str, ...] = (
    "n",
    "target",
    "power",
    "mc_se",
    "ci_lower",
    "ci_upper",
    "replications",
    "converged",
    "improper",
    "failed",
)
_FLOATS = ("power", "mc_se", "ci_lower", "ci_upper")


def _wilson(successes: int, total: int, conf_level: float) -> tuple[float, float]:
    """Wilson's score interval for a proportion (R: ``prop.test(successes, total, correct = FALSE)$conf.int``)."""
    if total == 0:
        return float("nan"), float("nan")
    z = float(norm.ppf(0.5 + conf_level / 2))
    p = successes / total
    shrink = 1 + z * z / total
    center = (p + z * z / (2 * total)) / shrink
    half = z / shrink * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total))
    return max(0.0, center - half), min(1.0, center + half)


@dataclass(frozen=True)
class PowerTable:
    """Monte Carlo power per sample size and target (what :func:`~emstudy.planning.engine.run_power` returns).

    Parameters
    ----------
    ns : tuple of int
        The sample sizes, increasing.
    targets : tuple of str
        The targets the analysis named (``Outcome.success`` keys), in the analysis's order.
    replications : int
        Replications per sample size. Every replication is in the denominator of the power: one that did not
        converge or failed (raised an error) counts as not reaching any target.
    successes : tuple of tuple of int
        ``successes[i][j]``: replications at ``ns[i]`` that converged and reached ``targets[j]``.
    converged, improper, failed : tuple of int
        Per sample size: replications whose estimator converged, whose solution was improper, and that raised
        an error (those are neither converged nor improper).
    errors : tuple of (int, int, str)
        The first error at each sample size that had one: ``(n, replication, message)``.
    seed : int or None
        The seed the replications were drawn from (see :func:`~emstudy.planning.engine.run_power`).
    conf_level : float
        Confidence level of ``ci_lower``/``ci_upper`` (Wilson's score interval).

    Notes
    -----
    With ``k`` of ``R`` replications reaching a target, power is ``p = k / R``, its Monte Carlo standard error
    ``sqrt(p (1 - p) / R)``, and the interval Wilson's (1927) score interval, which unlike the Wald interval
    keeps a positive width at ``p = 0`` or ``1`` and has near-nominal coverage at a few hundred replications
    (Brown, Cai & DasGupta 2001).

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference. *Journal of
    the American Statistical Association*, 22, 209-212.
    Brown, L. D., Cai, T. T., & DasGupta, A. (2001). Interval estimation for a binomial proportion.
    *Statistical Science*, 16, 101-133.
    Muthén, L. K., & Muthén, B. O. (2002). How to use a Monte Carlo study to decide on sample size and
    determine power. *Structural Equation Modeling*, 9, 599-620.

    Examples
    --------
    >>> t = PowerTable(ns=(50, 100), targets=("reject",), replications=200, successes=((90,), (170,)),
    ...                converged=(200, 200), improper=(0, 0), failed=(0, 0))
    >>> t.smallest_n(power=0.8, target="reject")
    100
    >>> print(t.to_csv_bytes().decode().splitlines()[2])
    100,reject,0.850000,0.025249,0.793944,0.892864,200,200,0,0
    """

    ns: tuple[int, ...]
    targets: tuple[str, ...]
    replications: int
    successes: tuple[tuple[int, ...], ...]
    converged: tuple[int, ...]
    improper: tuple[int, ...]
    failed: tuple[int, ...]
    errors: tuple[tuple[int, int, str], ...] = ()
    seed: int | None = None
    conf_level: float = 0.95

    def __post_init__(self) -> None:
        k = len(self.ns)
        if list(self.ns) != sorted(set(self.ns)):
            raise ValueError(f"ns: {list(self.ns)} must be increasing without repeats; sort the sample sizes")
        for name in ("successes", "converged", "improper", "failed"):
            if len(getattr(self, name)) != k:
                raise ValueError(f"{name}: {len(getattr(self, name))} entries for {k} sample sizes; give one per n")
        if any(len(row) != len(self.targets) for row in self.successes):
            raise ValueError(f"successes: each row needs one count per target ({len(self.targets)})")
        if not 0 < self.conf_level < 1:
            raise ValueError(f"conf_level: {self.conf_level} is not between 0 and 1; give e.g. 0.95")

    def power(self, target: str) -> tuple[float, ...]:
        """The power of ``target`` at each of :attr:`ns`."""
        j = self._target_index(target)
        return tuple(row[j] / self.replications for row in self.successes)

    def to_frame(self) -> pd.DataFrame:
        """The tidy table: one row per sample size and target, columns :data:`COLUMNS` (counts as integers)."""
        rows = []
        for i, n in enumerate(self.ns):
            for j, target in enumerate(self.targets):
                p = self.successes[i][j] / self.replications
                lower, upper = _wilson(self.successes[i][j], self.replications, self.conf_level)
                rows.append(
                    (
                        n,
                        target,
                        p,
                        math.sqrt(p * (1 - p) / self.replications),
                        lower,
                        upper,
                        self.replications,
                        self.converged[i],
                        self.improper[i],
                        self.failed[i],
                    )
                )
        return pd.DataFrame(rows, columns=list(COLUMNS))

    def smallest_n(self, *, power: float = 0.8, target: str | None = None) -> int | None | dict[str, int | None]:
        """The smallest sample size of the grid from which on the power of ``target`` is at least ``power``.

        "From which on": the power at that n and at every larger n of the grid reaches ``power``, so that a
        Monte Carlo fluke at one small n is not taken for the answer (for a curve that increases, as power
        does, this is the first n that reaches it). ``None`` when the largest n does not reach it.

        Parameters
        ----------
        power : float
            The power wanted, in (0, 1).
        target : str, optional
            One target; by default every target, as a dict ``{target: n or None}``.
        """
        if not 0 < power < 1:
            raise ValueError(f"power: {power} is not between 0 and 1; give e.g. 0.8")
        if target is None:
            return {t: self.smallest_n(power=power, target=t) for t in self.targets}
        found = None
        for n, p in reversed(list(zip(self.ns, self.power(target)))):
            if p < power:
                break
            found = n
        return found

    def summary(self, *, power: float = 0.8) -> str:
        """The table as text, the smallest n reaching ``power`` per target, and any failed replications."""
        lines = [
            f"Monte Carlo power: {self.replications} replications per sample size"
            + (f", seed {self.seed}" if self.seed is not None else "")
            + f"; {self.conf_level:.0%} Wilson intervals",
            self.to_frame().to_string(index=False, float_format=lambda v: f"{v:.3f}"),
            f"smallest n reaching power {power:g}:",
        ]
        for t, n in self.smallest_n(power=power).items():
            lines.append(f"  {t}: {n if n is not None else f'not reached by n = {max(self.ns)}'}")
        if any(self.failed):
            total = sum(self.failed)
            lines.append(f"{total} replication(s) failed and count as not reaching any target; first errors:")
            lines.extend(f"  n = {n}, replication {r}: {msg}" for n, r, msg in self.errors)
        return "\n".join(lines)

    def to_csv_bytes(self) -> bytes:
        """The table as CSV (UTF-8, ``\\n`` line ends, floats at six decimals after snapping to
        :data:`emstudy.fileio.SNAP_DIGITS` digits): equal counts give equal bytes on any machine."""
        frame = self.to_frame()
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in frame.itertuples(index=False):
            values = row._asdict()
            writer.writerow([_cell(name, values[name]) for name in COLUMNS])
        return out.getvalue().encode("utf-8")

    def _target_index(self, target: str) -> int:
        if target not in self.targets:
            raise ValueError(f"target: {target!r} is not one of {list(self.targets)}; give one of those")
        return self.targets.index(target)

    @classmethod
    def from_counts(
        cls,
        counts: Mapping[int, Mapping[str, object]],
        *,
        targets: Sequence[str],
        replications: int,
        seed: int | None = None,
        conf_level: float = 0.95,
    ) -> PowerTable:
        """A table from per-n counts ``{n: {"successes": {target: k}, "converged": c, "improper": i,
        "failed": f, "error": (replication, message) or None}}`` (what the engine gathers)."""
        ns = tuple(sorted(counts))
        return cls(
            ns=ns,
            targets=tuple(targets),
            replications=replications,
            successes=tuple(tuple(int(counts[n]["successes"].get(t, 0)) for t in targets) for n in ns),
            converged=tuple(int(counts[n]["converged"]) for n in ns),
            improper=tuple(int(counts[n]["improper"]) for n in ns),
            failed=tuple(int(counts[n]["failed"]) for n in ns),
            errors=tuple((n, *counts[n]["error"]) for n in ns if counts[n]["error"] is not None),
            seed=seed,
            conf_level=conf_level,
        )


def _cell(name: str, value: object) -> str:
    if name in _FLOATS:
        v = float(value)
        return "NA" if v != v else f"{rounded(v, SNAP_DIGITS):.6f}"
    return str(value)
