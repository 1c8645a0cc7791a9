"""Tests of emstudy.reporting.tables (APA-style tables; p value columns named pvalue, pvalue_*, *_pvalue)."""

from __future__ import annotations

import pandas as pd
import pytest

from emstudy.reporting import tables


def test_apa_table_markdown_and_html():
    df = pd.DataFrame({"term": ["x", "z<1"], "coef": [0.5, -1.234], "n": [10, 12], "pvalue": [0.0004, 0.0456]})
    md = tables.apa_table(df, caption="Drivers")
    lines = md.splitlines()
    assert lines[0] == "*Drivers*"
    assert lines[2] == "| term | coef | n | pvalue |"
    assert lines[3] == "|:--|--:|--:|--:|"
    assert lines[4] == "| x | 0.50 | 10 | < .001 |"
    assert lines[5] == "| z<1 | \u22121.23 | 12 | .046 |"
    html = tables.apa_table(df, fmt="html", caption="Drivers & more", digits=3)
    assert "<caption><em>Drivers &amp; more</em></caption>" in html
    assert "z&lt;1" in html and "\u22121.234" in html and ".046" in html
    with pytest.raises(ValueError, match="fmt"):
        tables.apa_table(df, fmt="latex")


def test_apa_table_formats_the_pvalue_columns_as_p_values():
    df = pd.DataFrame(
        {
            "pvalue_adj": [0.0004],
            "importance_pvalue": [0.0456],
            "gov_res_pvalue_adj": [0.5],
            "p": [0.0456],
            "alpha_p": [0.25],
            "pval": [0.0456],
        }
    )
    row = tables.apa_table(df, digits=3).splitlines()[2]
    # the pvalue names are p values (no leading zero); the old names p, *_p are ordinary numbers now
    assert row == "| < .001 | .046 | .500 | 0.046 | 0.250 | 0.046 |"
