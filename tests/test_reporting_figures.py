"""The study's figures: matplotlib Figures without pyplot state, in English and Chinese, legible (no text over
other text, nothing past the canvas, print sizes, colour-blind-safe palettes) and saved as byte-stable PNG."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import SYNTHETIC_STUDY
from emstudy.errors import EmstudyError, FigureLayoutWarning
from emstudy.reporting import fonts
from emstudy.reporting.figures import (
    DPI,
    figure_png,
    labels_outside,
    overlapping_labels,
    plot_case_heatmap,
    plot_case_profiles,
    plot_construct_means,
    plot_heatmap,
    plot_ipa,
    plot_power_curve,
    plot_profiles,
    save_figure,
    text_boxes,
)
from emstudy.reporting.figures_layout import FIGURE_WIDTH, MIN_FONT_SIZE, drawn_texts
from emstudy.stats.ipa import importance_performance

SYNTHETIC = {"en": " (synthetic data)", "zh": "（合成数据）"}


def _means() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "construct": ["a", "b", "c"],
            "mean": [3.1, 2.6, 3.4],
            "ci_lower": [2.9, 2.4, 3.2],
            "ci_upper": [3.3, 2.8, 3.6],
            "n": [100, 100, 100],
        }
    )


# Realistic inputs: the codebook's 12 constructs (long English names), the five places of the study, means
# spread like the study's (2.8-3.7) and an importance-performance frame whose points crowd together as
# Wencheng's do (several within 0.01 of importance of each other).
@pytest.fixture(scope="module")
def study(project, codebook):
    rng = np.random.default_rng(18)
    ids = [c.id for c in codebook.all_constructs]
    assert len(ids) == 12
    places = {lang: {c: getattr(project.case(c).name, lang) for c in SYNTHETIC_STUDY} for lang in ("en", "zh")}
    long = pd.DataFrame([{"construct": k, "case": c} for c in SYNTHETIC_STUDY for k in ids])
    long["mean"] = rng.uniform(2.8, 3.7, len(long)).round(4)
    long["ci_lower"], long["ci_upper"] = long["mean"] - 0.1, long["mean"] + 0.1
    imp = np.array([0.049, 0.097, 0.092, 0.025, 0.010, 0.023, 0.081, 0.25, 0.056, -0.045, 0.094, 0.094])
    perf = np.array([3.43, 3.55, 3.35, 3.36, 3.41, 3.60, 3.62, 3.52, 2.87, 2.91, 3.00, 3.01])
    ipa = pd.DataFrame({"predictor": ids, "importance": imp, "performance": perf})
    ipa["performance_ci_lower"], ipa["performance_ci_upper"] = perf - 0.09, perf + 0.09
    n = [50, 100, 200, 300, 400, 600, 800]
    power = pd.DataFrame(
        [{"n": k, "target": t, "power": min(1.0, s * k / 300)} for t, s in zip(ids[:4], (0.5, 1, 2, 3)) for k in n]
    )
    power["ci_lower"], power["ci_upper"] = (power["power"] - 0.03).clip(0, 1), (power["power"] + 0.03).clip(0, 1)
    return {
        "ids": ids,
        "labels": {lang: {c: codebook.label(c, lang) for c in ids} for lang in ("en", "zh")},
        "places": places,
        "long": long,
        "ipa": ipa,
        "power": power,
        "place": {"en": places["en"]["wencheng"], "zh": places["zh"]["wencheng"]},
    }


def _draw(kind: str, study: dict, lang: str):
    labels, place, syn = study["labels"][lang], study["place"][lang], SYNTHETIC[lang]
    if kind == "construct_means":
        means = study["long"][study["long"]["case"] == "wencheng"]
        return plot_construct_means(means, labels, title=place + syn, lang=lang)
    if kind == "ipa":
        frame = study["ipa"].assign(predictor=study["ipa"]["predictor"].map(labels))
        return plot_ipa(frame, title=f"{place}: importance-performance{syn}", lang=lang)
    if kind == "case_profiles":
        return plot_case_profiles(
            study["long"], labels=labels, case_labels=study["places"][lang], title="Means by place" + syn, lang=lang
        )
    if kind == "case_heatmap":
        wide = study["long"].pivot(index="construct", columns="case", values="mean").loc[study["ids"]]
        return plot_case_heatmap(wide, labels=labels, case_labels=study["places"][lang], title="Means" + syn, lang=lang)
    kinds = {"below": " (below the other places)", "driver": " (driver)"}
    names = {t: labels[t] + kinds["below" if i % 2 else "driver"] for i, t in enumerate(study["ids"])}
    return plot_power_curve(study["power"], labels=names, n_study=325, title=f"{place}{syn}: power", lang=lang)


KINDS = ["construct_means", "ipa", "case_profiles", "case_heatmap", "power_curve"]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("kind", KINDS)
def test_every_figure_is_legible_in_both_languages(kind, lang, study):
    fig = _draw(kind, study, lang)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FigureLayoutWarning)
        png = figure_png(fig)
    boxes = text_boxes(fig)
    assert len(boxes) >= 10
    assert overlapping_labels(fig, boxes) == []
    assert labels_outside(fig, boxes) == []
    texts = drawn_texts(fig)
    small = [(t.get_text(), t.get_fontsize()) for t in texts if t.get_fontsize() < MIN_FONT_SIZE]
    assert small == []
    assert all(t.get_rotation() in (0.0, 90.0) for t in texts)  # no slanted labels; upright only for axis titles
    assert {t.get_text() for t in texts if t.get_rotation() == 90.0} <= {ax.get_ylabel() for ax in fig.axes}
    assert fig.get_size_inches()[0] <= FIGURE_WIDTH  # prints at 100% on an A4 page: the point sizes hold
    from PIL import Image

    assert Image.open(io.BytesIO(png)).size == tuple(round(v * DPI) for v in fig.get_size_inches())
    assert png == figure_png(_draw(kind, study, lang))  # byte-stable


@pytest.mark.parametrize("kind", KINDS)
def test_chinese_figures_are_drawn_in_the_shipped_font_which_covers_every_character(kind, study):
    from matplotlib import font_manager

    fig = _draw(kind, study, "zh")
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # no missing glyph, no layout warning
        figure_png(fig)
    text = "".join(t.get_text() for t in drawn_texts(fig))
    assert sum("\u4e00" <= c <= "\u9fff" for c in text) >= 20  # titles, labels and axis titles are Chinese
    assert fonts.missing_characters(text) == ""
    files = {Path(font_manager.findfont(t.get_fontproperties())) for t in drawn_texts(fig)}
    assert files == {fonts.FONT_FILE}
    english = "".join(t.get_text() for t in drawn_texts(_draw(kind, study, "en")))
    assert not any("\u4e00" <= c <= "\u9fff" for c in english)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_character_outside_the_font_is_refused_not_drawn_as_a_box(lang, study, tmp_path):
    means = study["long"][study["long"]["case"] == "wencheng"]
    fig = plot_construct_means(means, study["labels"][lang], title="\U00020000" + study["place"][lang], lang=lang)
    with pytest.raises(EmstudyError, match=r"wencheng_profile\.png: .*U\+20000") as info:
        save_figure(fig, tmp_path / "wencheng_profile.png")
    assert "\n" not in str(info.value)
    assert not (tmp_path / "wencheng_profile.png").exists()
    if lang == "en":  # what DejaVu Sans draws needs no other font: "✓" is not in the shipped font's subset
        assert fonts.missing_characters("\u2713") == "\u2713"
        fig = plot_construct_means(means, study["labels"][lang], title="Cronbach's α ≥ 0.70 \u2713", lang=lang)
        assert save_figure(fig, tmp_path / "ok.png").stat().st_size > 1000


def test_an_english_figure_draws_a_chinese_place_name_with_the_shipped_font(study):
    from matplotlib import font_manager

    means = study["long"][study["long"]["case"] == "wencheng"]
    fig = plot_construct_means(means, study["labels"]["en"], title="Wencheng County (文成县)")
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # matplotlib's "Glyph ... missing from font(s)" would fail here
        figure_png(fig)
    title = fig._suptitle
    assert Path(font_manager.findfont(title.get_fontproperties(), fallback_to_default=False)).name == "DejaVuSans.ttf"
    assert fonts.FONT_FAMILY in title.get_fontfamily()


def test_unknown_language_is_one_line_error(study):
    with pytest.raises(ValueError, match=r"^lang: expected one of \['en', 'zh'\], got 'fr'$"):
        plot_ipa(study["ipa"], lang="fr")
    with pytest.raises(ValueError, match="lang"):
        figure_png(plot_heatmap(pd.DataFrame({"A": [3.1]}, index=["x"])), lang="de")


def test_fixed_text_is_in_the_figures_language(study):
    ipa_zh = _draw("ipa", study, "zh")
    assert ipa_zh.axes[0].get_xlabel() == "表现（均值）"
    assert "重点改进区" in [t.get_text() for t in ipa_zh.axes[0].texts]
    power = _draw("power_curve", study, "zh")
    assert power.axes[0].get_ylabel() == "统计功效"
    assert "n = 325" in " ".join(t.get_text() for t in power.axes[0].texts)
    empty = plot_power_curve(study["power"].iloc[:0], lang="zh")
    assert [t.get_text() for t in empty.axes[0].texts] == ["没有需要规划的发现"]
    profiles = _draw("case_profiles", study, "zh")
    assert profiles.legends[0].get_title().get_text() == "地点"


def test_heatmap_shows_place_names_with_readable_numbers_on_a_colour_blind_safe_scale(study):
    from matplotlib.colors import to_rgb

    fig = _draw("case_heatmap", study, "en")
    ax = fig.axes[0]
    assert [t.get_text().replace("\n", " ") for t in ax.get_xticklabels()] == [
        study["places"]["en"][c] for c in SYNTHETIC_STUDY
    ]
    assert not any(c in t.get_text() for t in ax.get_xticklabels() for c in ("h_district", "wencheng"))
    mesh = ax.collections[0]
    assert mesh.get_cmap().name == "RdBu"
    assert mesh.norm.vmin + mesh.norm.vmax == pytest.approx(6.0)  # centred at the midpoint 3
    assert len(ax.texts) == 12 * 5

    def luminance(rgb):
        c = np.asarray(rgb[:3], dtype=float)
        return float(np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4) @ [0.2126, 0.7152, 0.0722])

    values = mesh.get_array().reshape(12, 5)
    for t in ax.texts:
        j, i = (int(v) for v in t.get_position())
        assert t.get_text() == f"{values[i, j]:.2f}"
        cell, ink = luminance(mesh.get_cmap()(mesh.norm(values[i, j]))), luminance(to_rgb(t.get_color()))
        ratio = (max(cell, ink) + 0.05) / (min(cell, ink) + 0.05)
        assert ratio >= 4.5, (t.get_text(), ratio)  # WCAG AA contrast on every cell


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_ten_places_with_long_names_still_fit_the_page_without_collisions(lang, study):
    rng = np.random.default_rng(7)
    places = {
        f"p{i}": (f"Long place name number {i} of the province", f"某省第{i}号地名较长的地方")[lang == "zh"]
        for i in range(10)
    }
    wide = pd.DataFrame(rng.uniform(2.8, 3.7, (12, 10)), index=study["ids"], columns=list(places))
    long = wide.reset_index(names="construct").melt(id_vars="construct", var_name="case", value_name="mean")
    long["ci_lower"], long["ci_upper"] = long["mean"] - 0.1, long["mean"] + 0.1
    labels = study["labels"][lang]
    for fig in (
        plot_case_heatmap(wide, labels=labels, case_labels=places, title="T", lang=lang),
        plot_case_profiles(long, labels=labels, case_labels=places, title="T", lang=lang),
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("error", FigureLayoutWarning)
            figure_png(fig)
        boxes = text_boxes(fig)
        assert overlapping_labels(fig, boxes) == [] and labels_outside(fig, boxes) == []
        assert fig.get_size_inches()[0] <= FIGURE_WIDTH
    heat = plot_case_heatmap(wide, labels=labels, case_labels=places, lang=lang)
    upright = {t.get_rotation() for t in heat.axes[0].get_xticklabels()}
    assert upright == ({90.0} if lang == "en" else {0.0})  # English names this long no longer fit across


def test_profiles_tell_places_apart_by_colour_and_marker(study):
    import seaborn as sns

    fig = _draw("case_profiles", study, "en")
    legend = fig.legends[0]
    assert [t.get_text().replace("\n", " ") for t in legend.get_texts()] == [
        study["places"]["en"][c] for c in SYNTHETIC_STUDY
    ]
    bars = fig.axes[0].containers  # one errorbar container per place, in the legend's order
    assert [c.get_label() for c in bars] == [study["places"]["en"][c] for c in SYNTHETIC_STUDY]
    markers = [c.lines[0].get_marker() for c in bars]
    assert len(set(markers)) == 5
    colours = [c.lines[0].get_color() for c in bars]
    assert colours == [tuple(c) for c in sns.color_palette("colorblind", 5)]


def test_ipa_names_points_in_a_column_in_the_order_of_their_importance(study):
    fig = _draw("ipa", study, "en")
    ax = fig.axes[0]
    notes = [t for t in ax.texts if t.get_text() != "concentrate here"]
    assert len(notes) == 12
    text_boxes(fig)
    from matplotlib.text import Text

    boxes = [Text.get_window_extent(t) for t in notes]
    assert max(b.x0 for b in boxes) - min(b.x0 for b in boxes) < 0.5  # one column
    assert min(b.x0 for b in boxes) > ax.get_window_extent().x1  # beside the axes, not over the points
    heights = [float(t.xy[1]) for t in notes]
    centres = [(b.y0 + b.y1) / 2 for b in boxes]
    order = np.argsort(heights, kind="stable")
    assert np.all(np.diff(np.asarray(centres)[order]) > 0)
    for t in notes:  # each joined to its point by a leader line
        assert t.arrow_patch is not None and t.xycoords == "data"


def test_the_layout_check_warns_when_labels_collide_or_leave_the_canvas(study):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4, 3))
    ax = fig.add_subplot()
    ax.annotate("Resources and supplies", (0.2, 0.5))
    ax.annotate("Recovery and support", (0.22, 0.51))
    fig.text(0.8, 0.97, "runs past the right edge")
    assert overlapping_labels(fig) == [("Resources and supplies", "Recovery and support")]
    assert labels_outside(fig) == ["runs past the right edge"]
    with pytest.warns(FigureLayoutWarning, match=r"^crowded\.png: 'Resources and supplies' overlaps") as record:
        figure_png(fig, where="crowded.png")
    assert "runs past the canvas" in str(record[0].message)


def test_figures_leave_matplotlib_settings_alone(study):
    import matplotlib

    before = dict(matplotlib.rcParams)
    figure_png(_draw("ipa", study, "zh"))
    assert dict(matplotlib.rcParams) == before


def test_construct_means_figure_is_byte_stable_and_labelled():
    labels = {"a": "Plans", "b": "Teams", "c": "Drills"}
    fig = plot_construct_means(_means(), labels, title="X")
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["Drills", "Teams", "Plans"]
    assert figure_png(fig) == figure_png(plot_construct_means(_means(), labels, title="X"))


def test_case_profiles_and_heatmap_use_the_labels():
    long = pd.concat([_means().assign(case=c) for c in ("x", "y")], ignore_index=True)
    fig = plot_case_profiles(long, labels={"a": "Plans"}, case_labels={"x": "Wencheng County"}, title="T")
    assert "Plans" in [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["Wencheng County", "y"]
    wide = long.pivot(index="construct", columns="case", values="mean")
    heat = plot_case_heatmap(wide, labels={"b": "Teams"}, case_labels={"y": "Yima City"})
    assert "Teams" in [t.get_text() for t in heat.axes[0].get_yticklabels()]
    assert [t.get_text() for t in heat.axes[0].get_xticklabels()] == ["x", "Yima City"]


def test_figures_are_built_without_display(tmp_path, ipa_data):
    from matplotlib.figure import Figure

    m = pd.DataFrame(
        {
            "construct": ["plans", "teams", "plans", "teams"],
            "group": ["A", "A", "B", "B"],
            "mean": [3.1, 3.4, 2.8, 3.9],
            "ci_lower": [2.9, 3.2, 2.6, 3.7],
            "ci_upper": [3.3, 3.6, 3.0, 4.1],
        }
    )
    fig = plot_profiles(m, title="Profiles")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["plans", "teams"]
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["A", "B"]
    wide = m.pivot(index="construct", columns="group", values="mean")
    hm = plot_heatmap(wide)
    texts = sorted(t.get_text() for t in hm.axes[0].texts)
    assert texts == ["2.80", "3.10", "3.40", "3.90"]
    data = ipa_data
    frame, _ = importance_performance(data, outcome="y", predictors=list(data.columns[:4]))
    ipa = plot_ipa(frame)
    assert len(ipa.axes[0].texts) >= 4
    path = save_figure(ipa, tmp_path / "ipa.png")
    assert path.stat().st_size > 1000
    with pytest.raises(ValueError, match="ci_lower"):
        plot_profiles(m.drop(columns="ci_lower"))
