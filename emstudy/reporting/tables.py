"""APA-style tables (Markdown or HTML) from result frames."""

from __future__ import annotations

import html as _html
from typing import Literal

import numpy as np
import pandas as pd

from emstudy.stats._common import format_pvalue

__all__ = ["apa_table"]


def _is_pvalue_column(name: str) -> bool:
    """``pvalue``, ``pvalue_*``, ``*_pvalue`` or ``*_pvalue_*`` (`name` already lower-cased)."""
    return name == "pvalue" or name.startswith("pvalue_") or name.endswith("_pvalue") or "_pvalue_" in name


def _format_cell(value: object, column: str, digits: int) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        name = str(column).lower()
        if _is_pvalue_column(name):
            return format_pvalue(float(value))
        return f"{float(value):.{digits}f}".replace("-", "\u2212")
    return str(value)


def apa_table(
    df: pd.DataFrame,
    *,
    fmt: Literal["markdown", "html"] = "markdown",
    caption: str | None = None,
    digits: int = 2,
    index: bool = False,
) -> str:
    """Render a DataFrame as an APA-style table (markdown or HTML).

    Parameters
    ----------
    df : pandas.DataFrame
    fmt : {"markdown", "html"}, default "markdown"
    caption : str, optional
        Table title (italic in markdown, ``<caption>`` in HTML).
    digits : int, default 2
        Decimals of floating-point cells. Columns named ``pvalue``, ``pvalue_*``, ``*_pvalue`` or
        ``*_pvalue_*`` (e.g. ``pvalue_adj``, ``importance_pvalue``, ``gov_res_pvalue_adj``) are p values,
        printed APA-style without a leading zero and as ``< .001`` below .001. Negative numbers use the
        minus sign (U+2212). Missing cells are empty.
    index : bool, default False
        Include the index as the first column.

    Returns
    -------
    str

    Examples
    --------
    >>> print(apa_table(pd.DataFrame({"term": ["x"], "coef": [0.5], "pvalue": [0.0004]})))
    | term | coef | pvalue |
    |:--|--:|--:|
    | x | 0.50 | < .001 |

    References
    ----------
    American Psychological Association. (2020). *Publication manual of the American Psychological
    Association* (7th ed.), chapter 7 (tables).
    """
    if fmt not in ("markdown", "html"):
        raise ValueError(f"fmt: expected 'markdown' or 'html', got {fmt!r}")
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"df: expected a pandas DataFrame, got {type(df).__name__}")
    if not isinstance(digits, (int, np.integer)) or digits < 0:
        raise ValueError(f"digits: expected a non-negative integer, got {digits!r}")
    frame = df.reset_index() if index else df
    cols = [str(c) for c in frame.columns]
    numeric = [
        pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c]) for c in frame.columns
    ]
    body = [[_format_cell(v, c, digits) for v, c in zip(row, cols)] for row in frame.itertuples(index=False)]
    if fmt == "markdown":
        esc = lambda s: s.replace("|", "\\|")  # noqa: E731
        lines = []
        if caption:
            lines += [f"*{caption}*", ""]
        lines.append("| " + " | ".join(esc(c) for c in cols) + " |")
        lines.append("|" + "|".join("--:" if n else ":--" for n in numeric) + "|")
        lines += ["| " + " | ".join(esc(v) for v in row) + " |" for row in body]
        return "\n".join(lines)
    align = ['style="text-align:right"' if n else 'style="text-align:left"' for n in numeric]
    out = ['<table class="apa">']
    if caption:
        out.append(f"<caption><em>{_html.escape(caption)}</em></caption>")
    out.append(
        "<thead><tr>" + "".join(f"<th {a}>{_html.escape(c)}</th>" for c, a in zip(cols, align)) + "</tr></thead>"
    )
    out.append("<tbody>")
    for row in body:
        out.append("<tr>" + "".join(f"<td {a}>{_html.escape(v)}</td>" for v, a in zip(row, align)) + "</tr>")
    out.append("</tbody>")
    out.append("</table>")
    return "\n".join(out)
