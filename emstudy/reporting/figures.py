"""Every figure of the study, built on :class:`matplotlib.figure.Figure` objects without pyplot (no display,
no global state), in English or Chinese, and saved without timestamps so that the PNG bytes reproduce.

Each ``plot_*`` function takes ``lang`` ("en" or "zh"): the text it draws itself (axis labels, legend
titles, notes) comes from ``_TEXT`` in that language, and the caller passes titles and labels already in it.
Chinese figures are set in the font that ships with emstudy (:mod:`emstudy.reporting.fonts`); the style is
applied inside :func:`emstudy.reporting.figures_layout.style`, never to matplotlib's global settings.

Legibility by construction: every figure is :data:`~emstudy.reporting.figures_layout.FIGURE_WIDTH` inches
wide (an A4 text width, so print keeps the sizes), no text is under 8 pt, long labels are wrapped, labels are
horizontal, legends sit below the axes, the importance-performance map names its points in a column beside
the axes (:func:`~emstudy.reporting.figures_layout.label_column`), and the palettes are colour-blind safe
(Okabe-Ito / seaborn "colorblind" with distinct markers; ColorBrewer "RdBu" for the heatmap, its numbers in
black or white, whichever contrasts more with the cell). :func:`figure_png` checks the result: a text the
font cannot draw is refused, overlapping or cut-off text raises a
:class:`~emstudy.errors.FigureLayoutWarning`.

References
----------
Okabe, M., & Ito, K. (2008). *Color universal design (CUD): how to make figures and presentations that are
friendly to colorblind people*. https://jfly.uni-koeln.de/color/
Harrower, M., & Brewer, C. A. (2003). ColorBrewer.org: an online tool for selecting colour schemes for maps.
*The Cartographic Journal*, 40(1), 27-37.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from emstudy.fileio import atomic_write_bytes
from emstudy.reporting.figures_layout import (
    FIGURE_WIDTH,
    FONT_SIZES,
    check_fonts,
    check_lang,
    draw,
    label_column,
    labels_outside,
    overlapping_labels,
    style,
    text_boxes,
    text_width,
    warn_layout,
    wrap_label,
)
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
    "text_boxes",
    "overlapping_labels",
    "labels_outside",
    "DPI",
]

DPI = 150
"""Resolution of the saved PNG: 930 pixels across a 6.2-inch figure, sharp in print and on screen."""

_TEXT = {
    "en": {
        "mean": "Mean (1-5)",
        "mean_bars": "Mean (1-5); dashed line: average over constructs",
        "performance": "Performance (mean)",
        "importance": "Importance (standardized weight)",
        "concentrate": "concentrate here",
        "place": "Place",
        "respondents": "Respondents of the place (n)",
        "power": "Power",
        "no_findings": "no finding to plan for",
        "n_study": "n = {n}",
    },
    "zh": {
        "mean": "均值（1-5）",
        "mean_bars": "均值（1-5）；虚线：各构念均值的平均",
        "performance": "表现（均值）",
        "importance": "重要性（标准化权重）",
        "concentrate": "重点改进区",
        "place": "地点",
        "respondents": "本地受访者数（n）",
        "power": "统计功效",
        "no_findings": "没有需要规划的发现",
        "n_study": "n = {n}",
    },
}
_BLUE, _VERMILLION, _GREY = "#0072B2", "#D55E00", "0.35"  # Okabe-Ito
_MARKERS = ("o", "s", "D", "^", "v", "P", "X", "<", ">", "h")
_LABEL_WIDTH = 1.9 * 72  # points: the column of construct names


def _figure(figsize: tuple[float, float], lang: str):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    width, height = (round(v * 10) / 10 for v in figsize)  # whole pixels at any dpi that is a multiple of 10
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    fig._emstudy_lang = lang  # figure_png draws and checks it in this language
    return fig


def _wrap(labels, *, width: float = _LABEL_WIDTH, size: float = FONT_SIZES["tick"], lang: str) -> list[str]:
    return [wrap_label(str(s), width=width, fontsize=size, lang=lang) for s in labels]


def _lines(labels) -> int:
    return sum(str(s).count("\n") + 1 for s in labels)


def _title(fig, title: str | None, lang: str) -> None:
    if title:
        width = FIGURE_WIDTH * 72 - 24
        fig.suptitle(wrap_label(title, width=width, fontsize=FONT_SIZES["title"], lang=lang))


def _legend_layout(labels, *, lang: str) -> tuple[list[str], int]:
    """Legend labels wrapped for as many columns as fit the figure's width (most columns without wrapping)."""
    if not labels:
        return [], 1
    size = FONT_SIZES["legend"]
    room = FIGURE_WIDTH * 72 - 24
    extra = (2.0 + 0.8 + 2.0) * size  # handle, its pad and the column spacing, in points
    for ncols in range(min(len(labels), 5), 0, -1):
        wrapped = _wrap(labels, width=room / ncols - extra, size=size, lang=lang)
        if ncols == 1 or max(s.count("\n") for s in wrapped) == 0:
            break
    return wrapped, ncols


def _legend_height(labels, *, lang: str) -> float:
    """Inches the legend below the axes takes (rows of its tallest label)."""
    wrapped, ncols = _legend_layout(labels, lang=lang)
    lines = max((s.count("\n") + 1 for s in wrapped), default=0)
    return -(-len(wrapped) // ncols) * lines * FONT_SIZES["legend"] * 1.5 / 72


def _legend(fig, handles, labels, *, title: str | None, lang: str) -> None:
    """A legend below the axes (:func:`_legend_layout`)."""
    wrapped, ncols = _legend_layout(labels, lang=lang)
    fig.legend(handles, wrapped, loc="outside lower center", ncols=ncols, frameon=False, title=title)


def _lang_of(fig) -> str:
    return getattr(fig, "_emstudy_lang", "en")


def plot_profiles(
    means_with_ci: pd.DataFrame,
    *,
    x: str = "construct",
    y: str = "mean",
    hue: str | None = "group",
    lower: str = "ci_lower",
    upper: str = "ci_upper",
    title: str | None = None,
    value_label: str | None = None,
    legend_title: str | None = None,
    lang: str = "en",
):
    """Profile plot: one line of means with interval bars per group across constructs, the constructs down
    the page (their names horizontal and wrapped, so they cannot collide), one colour and marker per group.

    Parameters
    ----------
    means_with_ci : pandas.DataFrame
        Long table with columns `x`, `y`, `lower`, `upper` and (optionally) `hue`.
    x, y, hue, lower, upper : str
        Column names; ``hue=None`` draws a single profile. The order of `x` is that of first appearance
        (top down).
    title : str, optional
    value_label : str, optional
        The axis of the means; default "Mean (1-5)" in `lang`.
    legend_title : str, optional
        Default: the `hue` column's name.
    lang : {"en", "zh"}, default "en"

    Returns
    -------
    matplotlib.figure.Figure
        Built without pyplot (no display, no global state); the legend is the figure's, below the axes.

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

    check_lang(lang)
    need = [x, y, lower, upper] + ([hue] if hue else [])
    check_columns(means_with_ci, need, role="plot_profiles")
    order = list(dict.fromkeys(means_with_ci[x].tolist()))
    pos = {c: len(order) - 1 - i for i, c in enumerate(order)}
    groups = list(dict.fromkeys(means_with_ci[hue].tolist())) if hue else [None]
    colors = sns.color_palette("colorblind", len(groups))
    with style(lang):
        names = _wrap(order, lang=lang)
        legend = _legend_height([str(g) for g in groups], lang=lang) if hue else 0.0
        fig = _figure((FIGURE_WIDTH, max(3.0, 0.19 * _lines(names) + 0.12 * len(order) + 1.3 + legend)), lang)
        ax = fig.subplots()
        step = min(0.5 / max(len(groups), 1), 0.12)
        for gi, (g, col) in enumerate(zip(groups, colors)):
            sub = means_with_ci if g is None else means_with_ci[means_with_ci[hue] == g]
            sub = sub.assign(_pos=[pos[c] for c in sub[x]]).sort_values("_pos", kind="mergesort")
            ys = sub["_pos"].to_numpy(dtype=float) - (gi - (len(groups) - 1) / 2) * step
            xv = sub[y].to_numpy(dtype=float)
            err = np.vstack([xv - sub[lower].to_numpy(dtype=float), sub[upper].to_numpy(dtype=float) - xv])
            label = None if g is None else str(g)
            marker = _MARKERS[gi % len(_MARKERS)]
            ax.plot(xv, ys, color=col, lw=0.8, alpha=0.55)
            ax.errorbar(xv, ys, xerr=err, fmt=marker, ms=4.5, lw=1.0, capsize=2, color=col, label=label)
        ax.set_yticks([pos[c] for c in order], names)
        ax.set_ylim(-0.6, len(order) - 0.4)
        ax.set_xlabel(value_label or _TEXT[lang]["mean"])
        ax.grid(axis="x", alpha=0.3)
        _title(fig, title, lang)
        if hue:
            handles, labels = ax.get_legend_handles_labels()
            _legend(fig, handles, labels, title=legend_title or hue, lang=lang)
    return fig


def _contrast_text(rgb) -> str:
    """Black or white, whichever contrasts more with the colour `rgb` (WCAG 2 relative luminance)."""
    c = np.asarray(rgb[:3], dtype=float)
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    lum = float(lin @ np.array([0.2126, 0.7152, 0.0722]))
    return "black" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "white"


def _column_labels(columns, *, pitch: float, lang: str) -> tuple[list[str], bool, float]:
    """A heatmap's column labels wrapped to the columns' `pitch` (points), or upright (read from the bottom) in
    as few lines as the pitch holds when a word is wider than a column; with the inches they take."""
    size = FONT_SIZES["tick"]
    cell = pitch - 2.5  # neighbours keep at least 2.5 points between them
    cols = _wrap(columns, width=cell, size=size, lang=lang)
    if all(text_width(w, fontsize=size, lang=lang) <= cell for label in cols for w in label.split("\n")):
        return cols, False, 0.16 * max(label.count("\n") + 1 for label in cols)
    for inches in (1.2, 1.6, 2.0, 2.4, 10.0):
        cols = _wrap(columns, width=inches * 72, size=size, lang=lang)
        if max(label.count("\n") + 1 for label in cols) * size * 1.25 <= cell:
            break
    lines = [w for label in cols for w in label.split("\n")]
    return cols, True, max(text_width(w, fontsize=size, lang=lang) for w in lines) / 72 + 0.1


def plot_heatmap(
    means: pd.DataFrame,
    *,
    title: str | None = None,
    cmap: str = "RdBu",
    center: float | None = 3.0,
    fmt: str = ".2f",
    value_label: str | None = None,
    lang: str = "en",
):
    """Annotated heatmap of a wide table of means (e.g. constructs by case).

    Parameters
    ----------
    means : pandas.DataFrame
        Numeric wide table; rows and columns are labelled by its index and columns (wrapped to fit).
    title : str, optional
    cmap : str, default "RdBu"
        A diverging ColorBrewer map that colour-blind readers can tell apart (low red, high blue).
    center : float or None, default 3.0
        Value at the colour map's centre (the scale midpoint of a 1-5 Likert item); the colour range is
        symmetric about it. None: the range of the data.
    fmt : str, default ".2f"
        Annotation format; each number is black or white, whichever contrasts more with its cell.
    value_label : str, optional
        The colour bar's label; default "Mean (1-5)" in `lang`.
    lang : {"en", "zh"}, default "en"

    Returns
    -------
    matplotlib.figure.Figure
        The cell annotations are the axes' only texts (``fig.axes[0].texts``).

    Examples
    --------
    >>> fig = plot_heatmap(pd.DataFrame({"A": [3.1, 3.6], "B": [2.9, 4.0]}, index=["plans", "teams"]))

    References
    ----------
    Harrower, M., & Brewer, C. A. (2003). ColorBrewer.org. *The Cartographic Journal*, 40(1), 27-37.
    """
    from matplotlib import colormaps
    from matplotlib.colors import Normalize

    check_lang(lang)
    if not isinstance(means, pd.DataFrame) or means.empty:
        raise ValueError("means: expected a non-empty wide DataFrame of numbers")
    bad = [c for c in means.columns if not pd.api.types.is_numeric_dtype(means[c])]
    if bad:
        raise ValueError(f"means: column(s) {bad} are not numeric")
    values = means.to_numpy(dtype=float)
    nrow, ncol = values.shape
    if center is None:
        norm = Normalize(float(np.nanmin(values)), float(np.nanmax(values)))
    else:
        half = max(float(np.nanmax(np.abs(values - center))) if np.isfinite(values).any() else 0.0, 0.25)
        norm = Normalize(center - half, center + half)
    colormap = colormaps[cmap]
    with style(lang):
        rows = _wrap(means.index, lang=lang)
        height = max(3.0, 0.17 * _lines(rows) + 0.14 * nrow + 1.3)
        fig = _figure((FIGURE_WIDTH, height), lang)
        ax = fig.subplots()
        mesh = ax.pcolormesh(np.ma.masked_invalid(values), cmap=colormap, norm=norm, edgecolors="white", lw=0.8)
        for i in range(nrow):
            for j in range(ncol):
                if np.isfinite(values[i, j]):
                    color = _contrast_text(colormap(norm(values[i, j])))
                    ax.text(j + 0.5, i + 0.5, format(values[i, j], fmt), ha="center", va="center", color=color)
        ax.set_xticks(np.arange(ncol) + 0.5, [""] * ncol)
        ax.set_yticks(np.arange(nrow) + 0.5, rows)
        ax.set_xlim(0, ncol)
        ax.set_ylim(nrow, 0)
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        fig.colorbar(mesh, ax=ax, shrink=min(1.0, 3.0 / height + 0.3), label=value_label or _TEXT[lang]["mean"])
        _title(fig, title, lang)
        draw(fig)  # the layout gives the columns' pitch, which the column labels must fit
        pitch = ax.get_window_extent().width / ncol * 72 / fig.dpi
        cols, upright, col_height = _column_labels(means.columns, pitch=pitch, lang=lang)
        ax.set_xticks(np.arange(ncol) + 0.5, cols, rotation=90 if upright else 0)
        fig.set_size_inches(FIGURE_WIDTH, round((height + col_height) * 10) / 10)
    return fig


def plot_ipa(ipa_frame: pd.DataFrame, *, title: str | None = None, lang: str = "en"):
    """Importance-performance map from :func:`importance_performance`'s ``frame``.

    Parameters
    ----------
    ipa_frame : pandas.DataFrame
        Columns ``predictor``, ``importance``, ``performance`` and optionally ``performance_ci_lower``
        and ``performance_ci_upper`` (drawn as horizontal bars).
    title : str, optional
    lang : {"en", "zh"}, default "en"

    Returns
    -------
    matplotlib.figure.Figure
        Performance on x, importance on y, crosshairs at their means; the "concentrate here" quadrant
        (upper left) is shaded. The points are named in a column right of the axes, in the order of their
        importance, joined to them by leader lines, so that no two names can overprint each other.

    Examples
    --------
    >>> f = pd.DataFrame({"predictor": ["a", "b"], "importance": [0.4, 0.1], "performance": [3.0, 3.8]})
    >>> fig = plot_ipa(f)

    References
    ----------
    Martilla, J. A., & James, J. C. (1977). Importance-performance analysis. *Journal of Marketing*,
    41(1), 77-79.
    """
    check_lang(lang)
    check_columns(ipa_frame, ["predictor", "importance", "performance"], role="plot_ipa")
    xm = float(ipa_frame["performance"].mean())
    ym = float(ipa_frame["importance"].mean())
    xv = ipa_frame["performance"].to_numpy(dtype=float)
    yv = ipa_frame["importance"].to_numpy(dtype=float)
    with style(lang):
        names = _wrap(ipa_frame["predictor"], width=1.65 * 72, size=FONT_SIZES["note"], lang=lang)
        need = sum((s.count("\n") + 1) * FONT_SIZES["note"] * 1.2 + 3.0 for s in names) / 72
        fig = _figure((FIGURE_WIDTH, max(4.6, need + 1.5)), lang)
        ax = fig.subplots()
        if {"performance_ci_lower", "performance_ci_upper"} <= set(ipa_frame.columns):
            lo = ipa_frame["performance_ci_lower"].to_numpy(dtype=float)
            hi = ipa_frame["performance_ci_upper"].to_numpy(dtype=float)
            ax.errorbar(xv, yv, xerr=np.vstack([xv - lo, hi - xv]), fmt="none", ecolor="0.6", capsize=2, lw=0.9)
        ax.scatter(xv, yv, color=_BLUE, s=22, zorder=3)
        ax.axvline(xm, color="0.4", lw=0.8, ls="--")
        ax.axhline(ym, color="0.4", lw=0.8, ls="--")
        x0, x1 = ax.get_xlim()
        y0, y1 = ax.get_ylim()
        ax.fill_between([x0, xm], ym, y1, color=_VERMILLION, alpha=0.08, lw=0)
        ax.annotate(
            _TEXT[lang]["concentrate"],
            (0, 1),
            xycoords="axes fraction",
            xytext=(3, -3),
            textcoords="offset points",
            va="top",
            ha="left",
            fontsize=FONT_SIZES["note"],
            color=_VERMILLION,
        )
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_xlabel(_TEXT[lang]["performance"])
        ax.set_ylabel(_TEXT[lang]["importance"])
        _title(fig, title, lang)
        label_column(ax, names, list(zip(xv, yv)), fontsize=FONT_SIZES["note"])
    return fig


def plot_construct_means(means: pd.DataFrame, labels: Mapping[str, str], *, title: str, lang: str = "en"):
    """One case's construct means as horizontal bars with their 95% CIs (the case reports' profile figure).

    Parameters
    ----------
    means : pandas.DataFrame
        Columns ``construct``, ``mean``, ``ci_lower``, ``ci_upper``, one row per construct (drawn top down).
    labels : mapping
        Construct id to display label (in `lang`); every construct of ``means`` must have one.
    title : str
    lang : {"en", "zh"}, default "en"

    Returns
    -------
    matplotlib.figure.Figure
        With a dashed line at the average of the construct means.
    """
    check_lang(lang)
    frame = means.iloc[::-1]
    with style(lang):
        names = _wrap([labels[c] for c in frame["construct"]], lang=lang)
        fig = _figure((FIGURE_WIDTH, max(3.0, 0.17 * _lines(names) + 0.12 * len(names) + 1.2)), lang)
        ax = fig.subplots()
        y = list(range(len(frame)))
        ax.barh(y, frame["mean"], color=_BLUE, alpha=0.85, height=0.7)
        ax.errorbar(
            frame["mean"],
            y,
            xerr=[frame["mean"] - frame["ci_lower"], frame["ci_upper"] - frame["mean"]],
            fmt="none",
            ecolor="black",
            capsize=2,
            linewidth=1,
        )
        ax.set_yticks(y, names)
        ax.set_ylim(-0.6, len(frame) - 0.4)
        ax.set_xlim(1, 5)
        ax.axvline(float(means["mean"].mean()), color=_VERMILLION, linestyle="--", linewidth=1.2)
        ax.set_xlabel(_TEXT[lang]["mean_bars"])
        _title(fig, title, lang)
    return fig


def plot_case_profiles(
    long: pd.DataFrame,
    *,
    labels: Mapping[str, str] | None = None,
    case_labels: Mapping[str, str] | None = None,
    title: str | None = None,
    lang: str = "en",
):
    """Profile of construct means (95% CI) with one line per case (the cross-case profile figure).

    Parameters
    ----------
    long : pandas.DataFrame
        ``CaseMeans.long`` of :func:`emstudy.steps.compare.means_by_case`.
    labels : mapping, optional
        Construct id to display label (in `lang`).
    case_labels : mapping, optional
        Case id to place name (in `lang`), shown in the legend; ids without one are shown as they are.
    title : str, optional
    lang : {"en", "zh"}, default "en"

    Returns
    -------
    matplotlib.figure.Figure
    """
    frame = long.copy()
    if labels:
        frame["construct"] = frame["construct"].map(lambda c: labels.get(c, c))
    if case_labels:
        frame["case"] = frame["case"].map(lambda c: case_labels.get(c, c))
    return plot_profiles(frame, hue="case", title=title, legend_title=_TEXT[check_lang(lang)]["place"], lang=lang)


def plot_case_heatmap(
    wide: pd.DataFrame,
    *,
    labels: Mapping[str, str] | None = None,
    case_labels: Mapping[str, str] | None = None,
    title: str | None = None,
    lang: str = "en",
):
    """Heatmap of construct means (rows) by case (columns), centred at the scale midpoint 3.

    ``labels`` maps construct ids to row labels, ``case_labels`` case ids to the place names heading the
    columns (both in `lang`; ids without one are shown as they are).
    """
    frame = wide.copy()
    if labels:
        frame.index = [labels.get(c, c) for c in frame.index]
    if case_labels:
        frame.columns = [case_labels.get(c, c) for c in frame.columns]
    return plot_heatmap(frame, title=title, lang=lang)


def plot_power_curve(
    table: pd.DataFrame,
    *,
    labels: Mapping[str, str] | None = None,
    power: float | None = 0.8,
    n_study: int | None = None,
    title: str | None = None,
    lang: str = "en",
):
    """Power curves: the Monte Carlo power of each target against the sample size, with its interval.

    Parameters
    ----------
    table : pandas.DataFrame
        A tidy power table (:meth:`emstudy.planning.result.PowerTable.to_frame`, or notebook 06's
        ``planning.csv``): columns ``n``, ``target``, ``power`` and optionally ``ci_lower``, ``ci_upper``
        (drawn as a band). One line per target, in the order of first appearance.
    labels : mapping, optional
        Target to legend label (in `lang`).
    power : float or None, default 0.8
        The target power, drawn as a dashed horizontal line.
    n_study : int, optional
        The sample size of the survey at hand, drawn as a dotted vertical line.
    title : str, optional
    lang : {"en", "zh"}, default "en"

    Returns
    -------
    matplotlib.figure.Figure
        Power (0-1) on y, sample size on x, one colour and marker per target, the legend below; an empty
        table draws the axes with a note.

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

    check_lang(lang)
    check_columns(table, ["n", "target", "power"], role="plot_power_curve")
    targets = list(dict.fromkeys(table["target"].tolist()))
    colors = sns.color_palette("colorblind", max(len(targets), 1))
    text = _TEXT[lang]
    with style(lang):
        fig = _figure((FIGURE_WIDTH, 4.4 + 0.18 * len(targets)), lang)
        ax = fig.subplots()
        band = {"ci_lower", "ci_upper"} <= set(table.columns)
        for i, (target, color) in enumerate(zip(targets, colors)):
            sub = table[table["target"] == target].sort_values("n", kind="mergesort")
            xs = sub["n"].to_numpy(dtype=float)
            if band:
                lower, upper = sub["ci_lower"].to_numpy(dtype=float), sub["ci_upper"].to_numpy(dtype=float)
                ax.fill_between(xs, lower, upper, color=color, alpha=0.15, lw=0)
            label = (labels or {}).get(target, str(target))
            marker = _MARKERS[i % len(_MARKERS)]
            ax.plot(xs, sub["power"].to_numpy(dtype=float), marker=marker, ms=4, color=color, label=label)
        if power is not None:
            ax.axhline(power, color=_GREY, lw=0.8, ls="--")
        if n_study is not None:
            ax.axvline(n_study, color=_GREY, lw=0.8, ls=":")
            note = text["n_study"].format(n=n_study)
            ax.text(n_study, 0.02, f" {note}", fontsize=FONT_SIZES["note"], color=_GREY, va="bottom", ha="left")
        if not targets:
            ax.text(0.5, 0.5, text["no_findings"], transform=ax.transAxes, ha="center", va="center", color="0.4")
        ax.set_ylim(0, 1.02)
        ax.set_xlabel(text["respondents"])
        ax.set_ylabel(text["power"])
        ax.grid(alpha=0.3)
        _title(fig, title, lang)
        if targets:  # below the axes, so that no label hides a curve
            handles, names = ax.get_legend_handles_labels()
            _legend(fig, handles, names, title=None, lang=lang)
    return fig


power_curve = plot_power_curve
"""The name issue 16's plan gives :func:`plot_power_curve`."""


def figure_png(fig, *, dpi: int = DPI, lang: str | None = None, where: str = "figure") -> bytes:
    """A matplotlib Figure as PNG bytes with no timestamp or software metadata: equal figures, equal bytes.

    Before saving, every text the figure shows is checked: in a Chinese figure (``lang="zh"``, or a figure a
    ``plot_*`` function drew with ``lang="zh"``) or a text with CJK characters, a character the shipped font
    cannot draw raises :class:`~emstudy.errors.EmstudyError` naming `where` (never boxes instead of
    glyphs); overlapping texts or text past the canvas issue a :class:`~emstudy.errors.FigureLayoutWarning`.
    The canvas is the figure's size (no cropping), so a figure prints at its width.
    """
    from matplotlib.image import imsave

    lang = check_lang(lang or _lang_of(fig))
    old = fig.get_dpi()
    buffer = io.BytesIO()
    with style(lang):
        check_fonts(fig, lang=lang, where=where)
        fig.set_dpi(dpi)
        try:
            warn_layout(fig, where=where)  # draws the figure at `dpi`: the PNG is that drawing
            imsave(buffer, fig.canvas.buffer_rgba(), format="png", origin="upper", dpi=dpi, metadata={"Software": None})
        finally:
            fig.set_dpi(old)
    return buffer.getvalue()


def save_figure(fig, path: str | Path, *, dpi: int = DPI, lang: str | None = None) -> Path:
    """Save a matplotlib Figure as byte-stable PNG (see :func:`figure_png`, which checks it), atomically."""
    return atomic_write_bytes(path, figure_png(fig, dpi=dpi, lang=lang, where=Path(path).name))
