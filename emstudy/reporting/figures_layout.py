"""Layout and lettering of the study's figures: the language's font and print sizes, label wrapping, a label
column that cannot collide, and the checks that no text overlaps other text or leaves the canvas.

The figures are drawn once per language. English text uses matplotlib's own DejaVu Sans; Chinese text uses
the font that ships with emstudy (:mod:`emstudy.reporting.fonts`), by its file, never a system font, and a
text it does not cover is refused before anything is drawn. Every style setting is applied inside
:func:`style` (a :func:`matplotlib.rc_context` that starts from matplotlib's defaults), so a user's
``matplotlibrc`` cannot change the bytes and nothing leaks into the caller's matplotlib state.

The checks measure what the Agg renderer draws: :func:`text_boxes` lists every visible, non-empty text of a
figure (titles, axis and tick labels that are drawn, legend entries and titles, annotations, colour-bar
labels) with its bounding box in pixels; :func:`overlapping_labels` and :func:`labels_outside` report pairs
that overlap and texts that run past the canvas; :func:`warn_layout` turns them into a
:class:`~emstudy.errors.FigureLayoutWarning`.

References
----------
Hunter, J. D. (2007). Matplotlib: a 2D graphics environment. *Computing in Science & Engineering*, 9(3),
90-95.
Barlow, R. E., Bartholomew, D. J., Bremner, J. M., & Brunk, H. D. (1972). *Statistical inference under
order restrictions*. Wiley (the pool-adjacent-violators algorithm behind :func:`spread`).
"""

from __future__ import annotations

import contextlib
import functools
import re
import warnings
from collections.abc import Iterator, Sequence

import numpy as np

from emstudy.errors import FigureLayoutWarning

__all__ = [
    "LANGS",
    "FIGURE_WIDTH",
    "MIN_FONT_SIZE",
    "FONT_SIZES",
    "check_lang",
    "style",
    "font_family",
    "text_width",
    "wrap_label",
    "spread",
    "draw",
    "drawn_texts",
    "text_boxes",
    "overlapping_labels",
    "labels_outside",
    "warn_layout",
    "check_fonts",
    "label_column",
]

LANGS = ("en", "zh")
"""The languages a figure is drawn in."""
FIGURE_WIDTH = 6.2
"""Width of every figure in inches: the text width of an A4 page with 2.54 cm margins (6.27 in), so that a
report prints its figures at 100% and the type stays at the point sizes below."""
MIN_FONT_SIZE = 8.0
"""No text of a figure is smaller (points, at print size)."""
FONT_SIZES = {"base": 9.0, "title": 10.5, "label": 9.0, "tick": 8.5, "legend": 8.5, "note": 8.5}
"""Point sizes of the figures' text."""

_OVERLAP_TOLERANCE = 1.0  # pixels: boxes that merely touch are not an overlap
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003ffff]")
_NO_LINE_START = set("，。、；：！？）》」』】〉%,.;:!?)-–")
_NO_LINE_END = set("（《「『【〈(")


def check_lang(lang: str) -> str:
    """Return `lang` when it is one of :data:`LANGS`, else raise ValueError (one line)."""
    if lang not in LANGS:
        raise ValueError(f"lang: expected one of {list(LANGS)}, got {lang!r}")
    return lang


def font_family(lang: str) -> list[str]:
    """The font family list of a figure in `lang`: DejaVu Sans for "en", the shipped CJK font for "zh"."""
    if check_lang(lang) == "zh":
        from emstudy.reporting import fonts

        return [fonts.matplotlib_family()]
    return ["DejaVu Sans"]


def _rc(lang: str) -> dict:
    s = FONT_SIZES
    return {
        "font.family": font_family(lang),
        "font.size": s["base"],
        "axes.titlesize": s["title"],
        "axes.labelsize": s["label"],
        "xtick.labelsize": s["tick"],
        "ytick.labelsize": s["tick"],
        "legend.fontsize": s["legend"],
        "legend.title_fontsize": s["label"],
        "figure.titlesize": s["title"],
        "figure.dpi": 100.0,
        "text.parse_math": False,  # a "$" in a label is a dollar sign, not mathtext
        "axes.unicode_minus": True,  # U+2212, which the shipped font covers
    }


@contextlib.contextmanager
def style(lang: str) -> Iterator[None]:
    """Matplotlib's defaults plus the figures' font and sizes for `lang`, restored on exit.

    Examples
    --------
    >>> with style("en"):
    ...     pass
    """
    import matplotlib

    rc = _rc(lang)
    with matplotlib.rc_context():
        matplotlib.rcdefaults()
        matplotlib.rcParams.update(rc)
        yield


def text_width(text: str, *, fontsize: float, lang: str) -> float:
    """Width in points of a one-line `text` set in the figures' font for `lang` at `fontsize` points (CJK
    characters of an English text in the shipped font, as :func:`check_fonts` draws them)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    from emstudy.reporting import fonts

    prop = FontProperties(family=[*font_family(lang), fonts.matplotlib_family()], size=fontsize)
    missing = fonts.missing_characters(text if lang == "zh" else _beyond_dejavu(text))
    for c in missing:  # measured as a full-width character; figure_png refuses it
        text = text.replace(c, "\u53e3")
    return float(text_to_path.get_text_width_height_descent(text, prop, ismath=False)[0])


def _tokens(line: str) -> list[str]:
    """Break points of a line: after a space, and between two CJK characters (not before closing punctuation,
    not after opening punctuation)."""
    tokens: list[str] = []
    for part in re.findall(r"\S+\s*|\s+", line):
        if not _CJK.search(part):
            tokens.append(part)
            continue
        pieces: list[str] = []
        for ch in part:
            prev = pieces[-1][-1] if pieces else ""
            latin = prev and not _CJK.match(ch) and not _CJK.match(prev)
            if prev and (ch in _NO_LINE_START or ch.isspace() or prev in _NO_LINE_END or latin):
                pieces[-1] += ch
            else:
                pieces.append(ch)
        tokens += pieces
    return tokens


def wrap_label(text: str, *, width: float, fontsize: float, lang: str) -> str:
    """`text` with line breaks so that no line is wider than `width` points (a word longer than that stays
    whole). English breaks at spaces; Chinese between characters, never before closing punctuation.

    Examples
    --------
    >>> wrap_label("Recovery and psychological support", width=100, fontsize=8.5, lang="en")
    'Recovery and\\npsychological support'
    """
    lines: list[str] = []
    for paragraph in str(text).split("\n"):
        current = ""
        for token in _tokens(paragraph):
            trial = current + token
            if current and text_width(trial.rstrip(), fontsize=fontsize, lang=lang) > width:
                lines.append(current.rstrip())
                current = token.lstrip()
            else:
                current = trial
        lines.append(current.rstrip())
    return "\n".join(lines)


def _pava(values: np.ndarray) -> np.ndarray:
    """Least-squares non-decreasing fit to `values` (pool adjacent violators, equal weights)."""
    blocks: list[list[float]] = []  # [mean, count]
    for v in values:
        blocks.append([float(v), 1.0])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            m2, c2 = blocks.pop()
            m1, c1 = blocks.pop()
            blocks.append([(m1 * c1 + m2 * c2) / (c1 + c2), c1 + c2])
    return np.concatenate([np.full(int(c), m) for m, c in blocks])


def spread(targets: Sequence[float], sizes: Sequence[float], *, lower: float, upper: float) -> np.ndarray:
    """Centres of labels stacked along one axis as close as possible (least squares) to `targets` while no
    two overlap and all stay within [`lower`, `upper`].

    Parameters
    ----------
    targets : sequence of float
        Wanted centre of each label (e.g. the y of the point it names).
    sizes : sequence of float
        Extent of each label along the axis, gaps included, in the units of `targets`.
    lower, upper : float
        The range the labels must stay in. When they cannot fit, the stack is centred in it.

    Returns
    -------
    numpy.ndarray
        The centres, in the order of `targets`; labels keep the order of their targets (ties by position).

    Examples
    --------
    >>> spread([0.5, 0.5], [0.2, 0.2], lower=0.0, upper=1.0).round(3).tolist()
    [0.4, 0.6]
    """
    t = np.asarray(targets, dtype=float)
    s = np.asarray(sizes, dtype=float)
    if t.shape != s.shape:
        raise ValueError("sizes: expected one size per target")
    if t.size == 0:
        return t.copy()
    order = np.argsort(t, kind="stable")
    ts, ss = t[order], s[order]
    offsets = np.concatenate([[0.0], np.cumsum((ss[:-1] + ss[1:]) / 2)])
    lo, hi = lower + ss[0] / 2, upper - ss[-1] / 2 - offsets[-1]
    q = np.clip(_pava(ts - offsets), lo, hi) if lo <= hi else np.full(t.size, (lo + hi) / 2)
    out = np.empty_like(t)
    out[order] = q + offsets
    return out


def _tick_labels(fig) -> tuple[set[int], list]:
    """Ids of every tick label of the figure, and the tick labels that are drawn (visible, inside the view)."""
    every: set[int] = set()
    drawn = []
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            shown = ax.get_visible() and ax.axison and axis.get_visible()
            lo, hi = sorted(axis.get_view_interval())
            eps = 1e-10 * max(abs(hi - lo), 1.0)
            for ticks, locs in (
                (axis.majorTicks, axis.get_majorticklocs()),
                (axis.minorTicks, axis.get_minorticklocs()),
            ):
                ticks = list(ticks)
                for tick in ticks:
                    every.update((id(tick.label1), id(tick.label2)))
                for tick, loc in zip(ticks, locs):
                    if shown and tick.get_visible() and lo - eps <= loc <= hi + eps:
                        drawn += [lab for lab in (tick.label1, tick.label2) if lab.get_visible()]
    return every, drawn


def drawn_texts(fig) -> list:
    """Every visible, non-empty :class:`matplotlib.text.Text` the figure draws (tick labels outside the view
    and hidden texts left out), in a fixed order."""
    from matplotlib.text import Text

    for ax in fig.axes:  # tick labels take their text from the formatter
        for axis in (ax.xaxis, ax.yaxis):
            axis.get_majorticklabels()
            axis.get_minorticklabels()
    ticks, drawn = _tick_labels(fig)
    others = [t for t in fig.findobj(match=Text, include_self=False) if id(t) not in ticks and t.get_visible()]
    seen: set[int] = set()
    out = []
    for t in drawn + others:
        if id(t) not in seen and t.get_text().strip():
            seen.add(id(t))
            out.append(t)
    return out


def draw(fig):
    """Lay out and draw `fig` on an Agg canvas (attached if it has none); return the renderer."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    fig.canvas.draw()
    return fig.canvas.get_renderer()


def text_boxes(fig) -> list[tuple[str, object]]:
    """Draw `fig` and return ``(text, bbox)`` of every text it shows (:func:`drawn_texts`), the box in pixels
    (:class:`matplotlib.transforms.Bbox`; an annotation's box is its text's, without the leader line)."""
    from matplotlib.text import Text

    renderer = draw(fig)
    return [(t.get_text(), Text.get_window_extent(t, renderer)) for t in drawn_texts(fig)]


def _overlap(a, b) -> bool:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return w > _OVERLAP_TOLERANCE and h > _OVERLAP_TOLERANCE


def overlapping_labels(fig, boxes: list | None = None) -> list[tuple[str, str]]:
    """Pairs of texts of `fig` whose boxes overlap (by more than a pixel each way), in drawing order."""
    boxes = text_boxes(fig) if boxes is None else boxes
    return [
        (boxes[i][0], boxes[j][0])
        for i in range(len(boxes))
        for j in range(i + 1, len(boxes))
        if _overlap(boxes[i][1], boxes[j][1])
    ]


def labels_outside(fig, boxes: list | None = None) -> list[str]:
    """Texts of `fig` that run past the canvas (by more than a pixel)."""
    boxes = text_boxes(fig) if boxes is None else boxes
    w, h, tol = fig.bbox.width, fig.bbox.height, _OVERLAP_TOLERANCE
    return [s for s, b in boxes if b.x0 < -tol or b.y0 < -tol or b.x1 > w + tol or b.y1 > h + tol]


def warn_layout(fig, *, where: str) -> list[tuple[str, object]]:
    """Issue a :class:`~emstudy.errors.FigureLayoutWarning` naming `where` when texts of `fig` overlap or run
    past the canvas; return the text boxes."""
    boxes = text_boxes(fig)
    pairs, outside = overlapping_labels(fig, boxes), labels_outside(fig, boxes)
    problems = [f"{a!r} overlaps {b!r}" for a, b in pairs[:3]] + [f"{s!r} runs past the canvas" for s in outside[:3]]
    if problems:
        more = len(pairs) + len(outside) - len(problems)
        warnings.warn(
            f"{where}: "
            + "; ".join(problems)
            + (f" (and {more} more)" if more else "")
            + "; shorten or wrap the labels",
            FigureLayoutWarning,
            stacklevel=3,
        )
    return boxes


@functools.cache
def _dejavu_characters() -> frozenset[str]:
    """Every character matplotlib's own DejaVu Sans (the English figures' font) has a glyph for."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    path = font_manager.findfont(font_manager.FontProperties(family="DejaVu Sans"), fallback_to_default=False)
    return frozenset(chr(c) for c in FT2Font(path).get_charmap())


def _beyond_dejavu(text: str) -> str:
    have = _dejavu_characters()
    return "".join(c for c in text if not c.isspace() and c.isprintable() and c not in have)


def check_fonts(fig, *, lang: str, where: str) -> None:
    """Refuse (EmstudyError, one line naming `where`) a figure with a character its fonts cannot draw, rather
    than draw a box: in a Chinese figure every character must be in the shipped font; in an English figure,
    every character DejaVu Sans lacks (Chinese place names, say), and such a text falls back to the shipped
    font after DejaVu Sans."""
    from emstudy.reporting import fonts

    texts = drawn_texts(fig)
    if lang == "zh":
        fonts.check_covered("".join(t.get_text() for t in texts), where=where)
        return
    beyond = [(t, _beyond_dejavu(t.get_text())) for t in texts]
    beyond = [(t, chars) for t, chars in beyond if chars]
    if beyond:
        fonts.check_covered("".join(chars for _, chars in beyond), where=where)
        family = [*font_family("en"), fonts.matplotlib_family()]
        for t, _ in beyond:
            t.set_fontfamily(family)


def label_column(ax, labels: Sequence[str], xy: Sequence[tuple[float, float]], *, fontsize: float, x: float = 1.03):
    """Name points of `ax` by labels stacked in a column right of the axes, each at the height of its point
    as far as the others allow (:func:`spread`), joined to it by a thin leader line: labels that cannot
    collide, however close the points lie.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        With its data limits already fixed.
    labels : sequence of str
        One (possibly wrapped) label per point.
    xy : sequence of (float, float)
        The points, in data coordinates.
    fontsize : float
    x : float, default 1.03
        Left edge of the column, in axes coordinates.

    Returns
    -------
    list of matplotlib.text.Annotation
    """
    from matplotlib.text import Text

    fig = ax.get_figure()
    to_axes = ax.transData + ax.transAxes.inverted()
    targets = [float(to_axes.transform(p)[1]) for p in xy]
    line = {"arrowstyle": "-", "color": "0.55", "lw": 0.6, "shrinkA": 1, "shrinkB": 2.5, "relpos": (0.0, 0.5)}
    notes = [
        ax.annotate(
            str(label),
            xy=p,
            xycoords="data",
            xytext=(x, t),
            textcoords="axes fraction",
            ha="left",
            va="center",
            fontsize=fontsize,
            annotation_clip=False,
            arrowprops=line,
        )
        for label, p, t in zip(labels, xy, targets)
    ]
    for _ in range(6):  # the layout reserves the column's width; heights settle after one or two passes
        renderer = draw(fig)
        height = ax.get_window_extent(renderer).height
        gap = 2.5 * fig.dpi / 72
        sizes = [(Text.get_window_extent(n, renderer).height + gap) / height for n in notes]
        pos = spread(targets, sizes, lower=0.0, upper=1.0)
        moved = max((abs(n.xyann[1] - y) for n, y in zip(notes, pos)), default=0.0)
        for n, y in zip(notes, pos):
            n.xyann = (x, float(y))
        if moved < 1e-6:
            break
    return notes
