"""The figures' lettering and layout: language check, style without leaks, wrapping, the label column's
spreading, and the text boxes the legibility checks measure."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from emstudy.errors import FigureLayoutWarning
from emstudy.reporting import fonts
from emstudy.reporting.figures_layout import (
    FONT_SIZES,
    check_lang,
    drawn_texts,
    font_family,
    label_column,
    labels_outside,
    overlapping_labels,
    spread,
    style,
    text_boxes,
    text_width,
    warn_layout,
    wrap_label,
)


def test_languages():
    assert check_lang("en") == "en" and check_lang("zh") == "zh"
    with pytest.raises(ValueError, match=r"^lang: expected one of \['en', 'zh'\], got 'EN'$"):
        check_lang("EN")
    assert font_family("en") == ["DejaVu Sans"]
    assert font_family("zh") == [fonts.FONT_FAMILY]


def test_style_sets_the_font_and_sizes_and_restores_everything():
    import matplotlib

    before = dict(matplotlib.rcParams)
    with style("zh"):
        assert matplotlib.rcParams["font.family"] == [fonts.FONT_FAMILY]
        assert matplotlib.rcParams["ytick.labelsize"] == FONT_SIZES["tick"] >= 8
        assert not matplotlib.rcParams["text.parse_math"]
    assert dict(matplotlib.rcParams) == before


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Perceived effectiveness of local emergency management", "en"),
        ("Rules, accountability and legal system (below the other places)", "en"),
        ("应急管理成效感知（低于其他地点）：锡林郭勒盟与D市H区的比较，合成数据。", "zh"),
    ],
)
def test_wrapped_lines_fit_the_width_and_keep_the_text(text, lang):
    width = 90.0
    wrapped = wrap_label(text, width=width, fontsize=8.5, lang=lang)
    lines = wrapped.split("\n")
    assert len(lines) >= 2
    assert all(text_width(line, fontsize=8.5, lang=lang) <= width for line in lines)
    joiner = " " if lang == "en" else ""
    assert joiner.join(lines) == text
    assert not any(line[0] in "，。、；：！？）" for line in lines)  # no line opens with closing punctuation


def test_a_word_longer_than_the_width_stays_whole_and_short_text_is_untouched():
    assert wrap_label("Organisation", width=10, fontsize=8.5, lang="en") == "Organisation"
    assert wrap_label("Plans", width=100, fontsize=8.5, lang="en") == "Plans"
    assert wrap_label("a\nb", width=100, fontsize=8.5, lang="en") == "a\nb"


def test_text_width_scales_with_size_and_measures_chinese_in_the_shipped_font():
    w = text_width("Response and rescue", fontsize=10, lang="en")
    assert text_width("Response and rescue", fontsize=20, lang="en") == pytest.approx(2 * w, rel=1e-3)
    assert text_width("处置救援", fontsize=10, lang="zh") == pytest.approx(40.0, rel=0.05)  # four em squares
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "Glyph missing" warning: a character outside the font is a box's width
        assert text_width("\U00020000", fontsize=10, lang="zh") == pytest.approx(10.0, rel=0.05)


def _brute_force(targets, sizes, lower, upper):
    """The same least-squares problem solved by a general optimiser, for comparison."""
    from scipy.optimize import minimize

    t, s = np.asarray(targets, float), np.asarray(sizes, float)
    order = np.argsort(t, kind="stable")
    cons = [
        {"type": "ineq", "fun": lambda p, i=i: p[order[i + 1]] - p[order[i]] - (s[order[i]] + s[order[i + 1]]) / 2}
        for i in range(len(t) - 1)
    ]
    cons += [{"type": "ineq", "fun": lambda p: p - s / 2 - lower}, {"type": "ineq", "fun": lambda p: upper - s / 2 - p}]
    res = minimize(lambda p: np.sum((p - t) ** 2), t, constraints=cons, method="SLSQP", options={"ftol": 1e-14})
    return res.x


@pytest.mark.parametrize("seed", range(5))
def test_spread_is_the_least_squares_placement_without_overlap(seed):
    rng = np.random.default_rng(seed)
    n = 12
    targets = rng.uniform(0, 1, n)
    targets[:4] = 0.5 + rng.normal(0, 0.005, 4)  # a crowd, as in the importance-performance maps
    sizes = rng.uniform(0.04, 0.09, n)
    pos = spread(targets, sizes, lower=0.0, upper=1.0)
    order = np.argsort(pos)
    assert np.array_equal(order, np.argsort(targets, kind="stable"))  # labels keep their points' order
    gaps = np.diff(pos[order]) - (sizes[order][:-1] + sizes[order][1:]) / 2
    assert gaps.min() >= -1e-12
    assert (pos - sizes / 2).min() >= -1e-12 and (pos + sizes / 2).max() <= 1 + 1e-12
    np.testing.assert_allclose(pos, _brute_force(targets, sizes, 0.0, 1.0), atol=1e-6)


def test_spread_leaves_free_labels_where_they_are_and_centres_a_stack_that_cannot_fit():
    np.testing.assert_allclose(spread([0.1, 0.5, 0.9], [0.1] * 3, lower=0, upper=1), [0.1, 0.5, 0.9])
    np.testing.assert_allclose(spread([0.5, 0.5], [0.2, 0.2], lower=0, upper=1), [0.4, 0.6])
    np.testing.assert_allclose(spread([1.0, 1.0], [0.2, 0.2], lower=0, upper=1), [0.7, 0.9])
    np.testing.assert_allclose(spread([0.0, 0.1, 0.2], [0.5] * 3, lower=0, upper=1), [0.0, 0.5, 1.0])
    assert spread([], [], lower=0, upper=1).size == 0
    with pytest.raises(ValueError, match="sizes"):
        spread([0.1, 0.2], [0.1], lower=0, upper=1)


def _figure():
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4, 3), layout="constrained")
    return fig, fig.add_subplot()


def test_text_boxes_list_what_is_drawn_only():
    fig, ax = _figure()
    ax.set_xticks([0, 0.5, 1.0], ["left out", "middle", "also left out"])
    ax.set_xlim(0.05, 0.95)  # 0 and 1 lie outside the view: their labels are not drawn
    ax.set_yticks([])
    ax.set_title("")
    ax.text(0.5, 0.5, "   ")
    hidden = ax.text(0.2, 0.2, "hidden")
    hidden.set_visible(False)
    ax.set_xlabel("Performance (mean)")
    ax.annotate("point", (0.3, 0.3), xytext=(0.6, 0.8), arrowprops={"arrowstyle": "-"})
    texts = [s for s, _ in text_boxes(fig)]
    assert sorted(texts) == ["Performance (mean)", "middle", "point"]
    (box,) = [b for s, b in text_boxes(fig) if s == "point"]
    assert box.y0 > ax.transData.transform((0.6, 0.75))[1]  # the annotation's text only, not its leader line
    assert [t.get_text() for t in drawn_texts(fig)] == ["middle", "point", "Performance (mean)"]  # fixed order


def test_overlaps_and_overflows_are_found_and_warned_about():
    fig, ax = _figure()
    ax.set_axis_off()
    ax.text(0.1, 0.5, "Teams and personnel")
    ax.text(0.12, 0.52, "Rules, accountability")
    ax.text(0.1, 0.3, "Plans", va="top")
    ax.text(0.1, 0.3, "Drills", va="bottom")  # boxes that touch do not overlap
    fig.text(-0.05, 0.02, "cut off on the left")
    assert overlapping_labels(fig) == [("Teams and personnel", "Rules, accountability")]
    assert labels_outside(fig) == ["cut off on the left"]
    with pytest.warns(FigureLayoutWarning, match=r"^demo: 'Teams and personnel' overlaps 'Rules, accountability'; "):
        warn_layout(fig, where="demo")
    clean, ax2 = _figure()
    ax2.set_title("alone")
    with warnings.catch_warnings():
        warnings.simplefilter("error", FigureLayoutWarning)
        assert [s for s, _ in warn_layout(clean, where="clean")][-1] == "alone"


def test_label_column_separates_crowded_points():
    fig, ax = _figure()
    ys = [0.50, 0.501, 0.502, 0.503, 0.9, 0.1]
    xs = [0.2, 0.4, 0.6, 0.8, 0.5, 0.5]
    ax.scatter(xs, ys)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    notes = label_column(ax, [f"label {i}" for i in range(6)], list(zip(xs, ys)), fontsize=8.5)
    assert overlapping_labels(fig) == [] and labels_outside(fig) == []
    centres = [n.xyann[1] for n in notes]
    assert centres[0] < centres[1] < centres[2] < centres[3]  # the crowd keeps its order
    assert centres[4] == pytest.approx(0.9) and centres[5] == pytest.approx(0.1)  # free labels stay level
