"""Every figure of the study, built on :class:`matplotlib.figure.Figure` objects without pyplot (no display,
no global state), and saved without timestamps so that the PNG bytes reproduce."""

from __future__ import annotations

import io
import warnings
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from emstudy.fileio import atomic_write_bytes
from emstudy.stats._common import check_columns

__all__ = [
    "plot_profiles",
    "plot_heatmap",
    "plot_ipa",
    "plot_construct_means",
    "plot_case_profiles",
    "plot_case_heatmap",
    "plot_power_curve",
    "power_curve",
    "figure_png",
    "save_figure",
]


def _figure(figsize: tuple[float, float]):
    from matplotlib.figure import Figure

    return Figure(figsize=figsize, layout="constrained")


def plot_profiles(
    means_with_ci: pd.DataFrame,
    *,
    x: str = "construct",
    y: str = "mean",
    hue: str | None = "group",
    lower: str = "ci_lower",
    upper: str = "ci_upper",
    title: str | None = None,
    ylabel: str = "Mean (1-5)",
):
    """Profile plot: one line of means with interval bars per group across constructs.

    Parameters
    ----------
    means_with_ci : pandas.DataFrame
        Long table with columns `x`, `y`, `lower`, `upper` and (optionally) `hue`.
    x, y, hue, lower, upper : str
        Column names; ``hue=None`` draws a single profile. The order of `x` is that of first appearance.
    title, ylabel : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        Built without pyplot (no display, no global state).

    Examples
    --------
    >>> m = pd.DataFrame({"construct": ["a", "b"], "group": ["g", "g"], "mean": [3.0, 3.5],
    ...                   "ci_lower": [2.8, 3.3], "ci_upper": [3.2, 3.7]})
    >>> fig = plot_profiles(m)

    References
    ----------
    Waskom, M. L. (2021). seaborn: statistical data visualization. *JOSS*, 6(60), 3021.
    """
    import seaborn as sns

    need = [x, y, lower, upper] + ([hue] if hue else [])
    check_columns(means_with_ci, need, role="plot_profiles")
    order = list(dict.fromkeys(means_with_ci[x].tolist()))
    pos = {c: i for i, c in enumerate(order)}
    groups = list(dict.fromkeys(means_with_ci[hue].tolist())) if hue else [None]
    colors = sns.color_palette("colorblind", len(groups))
    fig = _figure((max(6.0, 0.7 * len(order) + 2), 4.5))
    ax = fig.subplots()
    width = 0.25 / max(len(groups), 1)
    for gi, (g, col) in enumerate(zip(groups, colors)):
        sub = means_with_ci if g is None else means_with_ci[means_with_ci[hue] == g]
        xs = np.array([pos[c] for c in sub[x]], dtype=float) + (gi - (len(groups) - 1) / 2) * width
        yv = sub[y].to_numpy(dtype=float)
        err = np.vstack([yv - sub[lower].to_numpy(dtype=float), sub[upper].to_numpy(dtype=float) - yv])
        ax.errorbar(xs, yv, yerr=err, marker="o", capsize=3, color=col, label=None if g is None else str(g))
    ax.set_xticks(range(len(order)), [str(o) for o in order], rotation=30, ha="right")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if hue:
        ax.legend(title=hue, frameon=False)
    ax.grid(axis="y", alpha=0.3)
    return fig


def plot_heatmap(
    means: pd.DataFrame, *, title: str | None = None, cmap: str = "RdYlGn", center: float | None = 3.0, fmt: str = ".2f"
):
    """Annotated heatmap of a wide table of means (e.g. constructs by case).

    Parameters
    ----------
    means : pandas.DataFrame
        Numeric wide table; rows and columns are labelled by its index and columns.
    title : str, optional
    cmap : str, default "RdYlGn"
    center : float or None, default 3.0
        Value at the colour map's centre (the scale midpoint of a 1-5 Likert item).
    fmt : str, default ".2f"
        Annotation format.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = plot_heatmap(pd.DataFrame({"A": [3.1, 3.6], "B": [2.9, 4.0]}, index=["plans", "teams"]))

    References
    ----------
    Waskom, M. L. (2021). seaborn: statistical data visualization. *JOSS*, 6(60), 3021.
    """
    import seaborn as sns

    if not isinstance(means, pd.DataFrame) or means.empty:
        raise ValueError("means: expected a non-empty wide DataFrame of numbers")
    bad = [c for c in means.columns if not pd.api.types.is_numeric_dtype(means[c])]
    if bad:
        raise ValueError(f"means: column(s) {bad} are not numeric")
    fig = _figure((max(5.0, 0.9 * means.shape[1] + 3), max(3.5, 0.45 * means.shape[0] + 1.5)))
    ax = fig.subplots()
    sns.heatmap(means.astype(float), ax=ax, annot=True, fmt=fmt, cmap=cmap, center=center, linewidths=0.5)
    if title:
        ax.set_title(title)
    return fig


def plot_ipa(ipa_frame: pd.DataFrame, *, title: str | None = None):
    """Importance-performance map from :func:`importance_performance`'s ``frame``.

    Parameters
    ----------
    ipa_frame : pandas.DataFrame
        Columns ``predictor``, ``importance``, ``performance`` and optionally ``performance_ci_lower``
        and ``performance_ci_upper`` (drawn as horizontal bars).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        Performance on x, importance on y, crosshairs at their means; the "concentrate here" quadrant
        (upper left) is shaded.

    Examples
    --------
    >>> f = pd.DataFrame({"predictor": ["a", "b"], "importance": [0.4, 0.1], "performance": [3.0, 3.8]})
    >>> fig = plot_ipa(f)

    References
    ----------
    Martilla, J. A., & James, J. C. (1977). Importance-performance analysis. *Journal of Marketing*,
    41(1), 77-79.
    """
    check_columns(ipa_frame, ["predictor", "importance", "performance"], role="plot_ipa")
    xm = float(ipa_frame["performance"].mean())
    ym = float(ipa_frame["importance"].mean())
    fig = _figure((6.5, 5.0))
    ax = fig.subplots()
    xv = ipa_frame["performance"].to_numpy(dtype=float)
    yv = ipa_frame["importance"].to_numpy(dtype=float)
    if {"performance_ci_lower", "performance_ci_upper"} <= set(ipa_frame.columns):
        err = np.vstack(
            [
                xv - ipa_frame["performance_ci_lower"].to_numpy(dtype=float),
                ipa_frame["performance_ci_upper"].to_numpy(dtype=float) - xv,
            ]
        )
        ax.errorbar(xv, yv, xerr=err, fmt="none", ecolor="0.6", capsize=2)
    ax.scatter(xv, yv, color="#0072B2", zorder=3)
    for name, a, b in zip(ipa_frame["predictor"], xv, yv):
        ax.annotate(str(name), (a, b), textcoords="offset points", xytext=(4, 4), fontsize=8)
    ax.axvline(xm, color="0.4", lw=0.8, ls="--")
    ax.axhline(ym, color="0.4", lw=0.8, ls="--")
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    ax.fill_between([x0, xm], ym, y1, color="#D55E00", alpha=0.08, lw=0)
    ax.text(x0, y1, " concentrate here", va="top", ha="left", fontsize=8, color="#D55E00")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel("Performance (mean)")
    ax.set_ylabel("Importance (standardized weight)")
    if title:
        ax.set_title(title)
    return fig


def plot_construct_means(means: pd.DataFrame, labels: Mapping[str, str], *, title: str):
    """One case's construct means as horizontal bars with their 95% CIs (the case reports' profile figure).

    Parameters
    ----------
    means : pandas.DataFrame
        Columns ``construct``, ``mean``, ``ci_lower``, ``ci_upper``, one row per construct (drawn top down).
    labels : mapping
        Construct id to display label; every construct of ``means`` must have one.
    title : str

    Returns
    -------
    matplotlib.figure.Figure
        With a dashed line at the average of the construct means.
    """
    from matplotlib.figure import Figure

    frame = means.iloc[::-1]
    fig = Figure(figsize=(6.5, 4.2))
    ax = fig.add_subplot()
    y = range(len(frame))
    ax.barh(list(y), frame["mean"], color="#1f77b4", alpha=0.85)
    ax.errorbar(
        frame["mean"],
        list(y),
        xerr=[frame["mean"] - frame["ci_lower"], frame["ci_upper"] - frame["mean"]],
        fmt="none",
        ecolor="black",
        capsize=2,
        linewidth=1,
    )
    ax.set_yticks(list(y), [labels[c] for c in frame["construct"]])
    ax.set_xlim(1, 5)
    ax.axvline(float(means["mean"].mean()), color="#b45309", linestyle="--", linewidth=1)
    ax.set_xlabel("mean (1-5); dashed line: average over constructs")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_case_profiles(long: pd.DataFrame, *, labels: Mapping[str, str] | None = None, title: str | None = None):
    """Profile of construct means (95% CI) with one line per case (the cross-case profile figure).

    Parameters
    ----------
    long : pandas.DataFrame
        ``CaseMeans.long`` of :func:`emstudy.steps.compare.means_by_case`.
    labels : mapping, optional
        Construct id to display label (e.g. English codebook labels).
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    frame = long.copy()
    if labels:
        frame["construct"] = frame["construct"].map(lambda c: labels.get(c, c))
    return plot_profiles(frame, hue="case", title=title)


def plot_case_heatmap(wide: pd.DataFrame, *, labels: Mapping[str, str] | None = None, title: str | None = None):
    """Heatmap of construct means (rows) by case (columns), centred at the scale midpoint 3.

    seaborn's ``PendingDeprecationWarning`` about ``Colormap.set_bad`` (raised inside seaborn, not
    actionable here) is silenced, by its category and within this call only, so that it does not reach
    notebook outputs.
    """
    frame = wide.copy()
    if labels:
        frame.index = [labels.get(c, c) for c in frame.index]
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=PendingDeprecationWarning)
        return plot_heatmap(frame, title=title)


def plot_power_curve(
    table: pd.DataFrame,
    *,
    labels: Mapping[str, str] | None = None,
    power: float | None = 0.8,
    n_study: int | None = None,
    title: str | None = None,
):
    """Power curves: the Monte Carlo power of each target against the sample size, with its interval.

    Parameters
    ----------
    table : pandas.DataFrame
        A tidy power table (:meth:`emstudy.planning.result.PowerTable.to_frame`, or notebook 06's
        ``planning.csv``): columns ``n``, ``target``, ``power`` and optionally ``ci_lower``, ``ci_upper``
        (drawn as a band). One line per target, in the order of first appearance.
    labels : mapping, optional
        Target to legend label.
    power : float or None, default 0.8
        The target power, drawn as a dashed horizontal line.
    n_study : int, optional
        The sample size of the survey at hand, drawn as a dotted vertical line.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
        Power (0-1) on y, sample size on x; an empty table draws the axes with a note.

    Examples
    --------
    >>> t = pd.DataFrame({"n": [50, 100, 50, 100], "target": ["a", "a", "b", "b"], "power": [0.4, 0.7, 0.6, 0.9]})
    >>> fig = plot_power_curve(t, labels={"a": "weakness", "b": "driver"})

    References
    ----------
    Muthen, L. K., & Muthen, B. O. (2002). How to use a Monte Carlo study to decide on sample size and
    determine power. *Structural Equation Modeling*, 9(4), 599-620.
    """
    import seaborn as sns

    check_columns(table, ["n", "target", "power"], role="plot_power_curve")
    targets = list(dict.fromkeys(table["target"].tolist()))
    colors = sns.color_palette("colorblind", max(len(targets), 1))
    fig = _figure((7.0, 4.5))
    ax = fig.subplots()
    band = {"ci_lower", "ci_upper"} <= set(table.columns)
    for target, color in zip(targets, colors):
        sub = table[table["target"] == target].sort_values("n", kind="mergesort")
        xs = sub["n"].to_numpy(dtype=float)
        if band:
            lower, upper = sub["ci_lower"].to_numpy(dtype=float), sub["ci_upper"].to_numpy(dtype=float)
            ax.fill_between(xs, lower, upper, color=color, alpha=0.15, lw=0)
        label = (labels or {}).get(target, str(target))
        ax.plot(xs, sub["power"].to_numpy(dtype=float), marker="o", ms=4, color=color, label=label)
    if power is not None:
        ax.axhline(power, color="0.3", lw=0.8, ls="--")
    if n_study is not None:
        ax.axvline(n_study, color="0.3", lw=0.8, ls=":")
        ax.text(n_study, 0.02, f" n = {n_study}", fontsize=8, color="0.3", va="bottom", ha="left")
    if not targets:
        ax.text(0.5, 0.5, "no finding to plan for", transform=ax.transAxes, ha="center", va="center", color="0.4")
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("respondents of the place (n)")
    ax.set_ylabel("power")
    ax.grid(alpha=0.3)
    if targets:  # below the axes, so that no label hides a curve
        ax.legend(frameon=False, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=2)
    if title:
        ax.set_title(title)
    return fig


power_curve = plot_power_curve
"""The name issue 16's plan gives :func:`plot_power_curve`."""


def figure_png(fig, *, dpi: int = 100) -> bytes:
    """A matplotlib Figure as PNG bytes with no timestamp or software metadata: equal figures, equal bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None}, bbox_inches="tight")
    return buffer.getvalue()


def save_figure(fig, path: str | Path, *, dpi: int = 100) -> Path:
    """Save a matplotlib Figure as byte-stable PNG (see :func:`figure_png`), atomically."""
    return atomic_write_bytes(path, figure_png(fig, dpi=dpi))
