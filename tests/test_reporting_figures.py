"""The study's figures: matplotlib Figures without pyplot state, saved as byte-stable PNG."""

from __future__ import annotations

import pandas as pd
import pytest

from emstudy.reporting.figures import (
    figure_png,
    plot_case_heatmap,
    plot_case_profiles,
    plot_construct_means,
    plot_heatmap,
    plot_ipa,
    plot_profiles,
)
from emstudy.stats.ipa import importance_performance


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


def test_construct_means_figure_is_byte_stable_and_labelled():
    labels = {"a": "Plans", "b": "Teams", "c": "Drills"}
    fig = plot_construct_means(_means(), labels, title="X")
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["Drills", "Teams", "Plans"]
    assert figure_png(fig) == figure_png(plot_construct_means(_means(), labels, title="X"))


def test_case_profiles_and_heatmap_use_the_labels():
    long = pd.concat([_means().assign(case=c) for c in ("x", "y")], ignore_index=True)
    fig = plot_case_profiles(long, labels={"a": "Plans"}, title="T")
    assert "Plans" in [t.get_text() for t in fig.axes[0].get_xticklabels()]
    wide = long.pivot(index="construct", columns="case", values="mean")
    heat = plot_case_heatmap(wide, labels={"b": "Teams"})
    assert "Teams" in [t.get_text() for t in heat.axes[0].get_yticklabels()]


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
    assert [t.get_text() for t in ax.get_xticklabels()] == ["plans", "teams"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["A", "B"]
    wide = m.pivot(index="construct", columns="group", values="mean")
    hm = plot_heatmap(wide)
    texts = sorted(t.get_text() for t in hm.axes[0].texts)
    assert texts == ["2.80", "3.10", "3.40", "3.90"]
    data = ipa_data
    frame, _ = importance_performance(data, outcome="y", predictors=list(data.columns[:4]))
    ipa = plot_ipa(frame)
    assert len(ipa.axes[0].texts) >= 4
    ipa.savefig(tmp_path / "ipa.png")
    assert (tmp_path / "ipa.png").stat().st_size > 1000
    with pytest.raises(ValueError, match="ci_lower"):
        plot_profiles(m.drop(columns="ci_lower"))
