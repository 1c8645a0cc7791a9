"""Verdicts and sentences (English and Chinese) of the reliability step (:mod:`emstudy.steps.reliability`).

The thresholds are :data:`RELIABILITY_THRESHOLDS`; :mod:`emstudy.steps.reliability` re-exports them with
:func:`assess_reliability`, :func:`reliability_sentences` (one sentence per construct) and
:func:`reliability_summary` (the two sentences a report shows beside the reliability table).

References
----------
Nunnally, J. C. (1978). *Psychometric theory* (2nd ed.). McGraw-Hill.
Nunnally, J. C., & Bernstein, I. H. (1994). *Psychometric theory* (3rd ed.). McGraw-Hill.
McDonald, R. P. (1999). *Test theory: A unified treatment*. Erlbaum.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

__all__ = ["RELIABILITY_THRESHOLDS", "assess_reliability", "reliability_sentences", "reliability_summary"]

#: Thresholds used to judge reliability and factorability, with their sources.
#:
#: - ``alpha_acceptable`` 0.70 and ``alpha_good`` 0.80: Nunnally, J. C. (1978). *Psychometric theory*
#:   (2nd ed.). McGraw-Hill (0.70 for early-stage research; 0.80 for basic research).
#: - ``omega_acceptable`` 0.70: the same rule of thumb applied to McDonald's omega total
#:   (McDonald, R. P. (1999). *Test theory: A unified treatment*. Erlbaum).
#: - ``r_drop_min`` 0.30: corrected item-total correlation (item with the total of the other items)
#:   below 0.30 flags a weak item (Nunnally & Bernstein, 1994, *Psychometric theory*, 3rd ed.).
#: - ``kmo_min`` 0.60 and ``kmo_meritorious`` 0.80: Kaiser, H. F. (1974). An index of factorial
#:   simplicity. Psychometrika, 39(1), 31-36 ("mediocre" from 0.60, "meritorious" from 0.80).
#: - ``bartlett_p_max`` 0.05: Bartlett, M. S. (1950). Tests of significance in factor analysis.
#:   British Journal of Psychology, Statistical Section, 3, 77-85 (reject sphericity at p < .05).
RELIABILITY_THRESHOLDS: dict[str, float] = {
    "alpha_acceptable": 0.70,
    "alpha_good": 0.80,
    "omega_acceptable": 0.70,
    "r_drop_min": 0.30,
    "kmo_min": 0.60,
    "kmo_meritorious": 0.80,
    "bartlett_p_max": 0.05,
}

_NEEDED = ("alpha", "alpha_ci_lower", "alpha_ci_upper", "omega_total", "weakest_item", "weakest_r_drop")


def _check_table(table: Any) -> pd.DataFrame:
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"table: expected a DataFrame from reliability_table, got {type(table).__name__}")
    missing = [c for c in _NEEDED if c not in table.columns]
    if missing:
        raise ValueError(f"table: missing column(s) {missing}; expected the output of reliability_table")
    return table


def assess_reliability(table: pd.DataFrame) -> pd.DataFrame:
    """Add verdict columns to a construct table from :func:`emstudy.stats.reliability.reliability_table`.

    Parameters
    ----------
    table : DataFrame
        One row per construct with at least ``alpha``, ``alpha_ci_lower``, ``alpha_ci_upper``,
        ``omega_total``, ``weakest_item`` and ``weakest_r_drop``.

    Returns
    -------
    DataFrame
        A copy with ``meets_alpha`` (alpha >= 0.70), ``meets_omega`` (omega >= 0.70),
        ``meets_r_drop`` (every item's r.drop >= 0.30, i.e. the weakest one), ``meets`` (all three) and
        ``verdict``: ``"good"`` (meets, alpha >= 0.80), ``"acceptable"`` (meets, alpha < 0.80),
        ``"weak item"`` (alpha and omega meet but an item's r.drop < 0.30) or ``"below threshold"``
        (alpha or omega below 0.70). Missing statistics count as not meeting.

    Examples
    --------
    >>> t = pd.DataFrame({"alpha": [0.85, 0.65], "alpha_ci_lower": [0.8, 0.6], "alpha_ci_upper": [0.9, 0.7],
    ...                   "omega_total": [0.86, 0.66], "weakest_item": ["A1", "B2"],
    ...                   "weakest_r_drop": [0.6, 0.35]}, index=["A", "B"])
    >>> assess_reliability(t)["verdict"].tolist()
    ['good', 'below threshold']
    """
    t = _check_table(table).copy()
    th = RELIABILITY_THRESHOLDS

    def ge(col: str, bound: float) -> pd.Series:
        v = pd.to_numeric(t[col], errors="coerce")
        return (v >= bound).fillna(False).astype(bool)

    t["meets_alpha"] = ge("alpha", th["alpha_acceptable"])
    t["meets_omega"] = ge("omega_total", th["omega_acceptable"])
    t["meets_r_drop"] = ge("weakest_r_drop", th["r_drop_min"])
    t["meets"] = t["meets_alpha"] & t["meets_omega"] & t["meets_r_drop"]
    good = ge("alpha", th["alpha_good"])
    verdict = []
    for i in range(len(t)):
        if not (t["meets_alpha"].iloc[i] and t["meets_omega"].iloc[i]):
            verdict.append("below threshold")
        elif not t["meets_r_drop"].iloc[i]:
            verdict.append("weak item")
        else:
            verdict.append("good" if good.iloc[i] else "acceptable")
    t["verdict"] = verdict
    return t


def _label(codebook: Any, construct: str, lang: str) -> str:
    if codebook is None:
        return str(construct)
    try:
        return str(codebook.label(construct, lang))
    except (KeyError, ValueError):
        return str(construct)


def _f(x: Any) -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return "NA"
    return "NA" if math.isnan(v) else f"{v:.2f}"


def reliability_sentences(table: pd.DataFrame, codebook: Any = None, *, lang: str = "en") -> list[str]:
    """One sentence per construct saying whether it meets the reliability thresholds.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`emstudy.stats.reliability.reliability_table` (verdicts are added if absent).
    codebook : Codebook, optional
        Gives the construct labels (``label(id, lang)``); without it the construct ids are used.
    lang : {"en", "zh"}
        Language of the sentences; construct names are given as "English (中文)" in English and
        "中文（English）" in Chinese.

    Returns
    -------
    list of str
        For example ``"Information release (信息发布): alpha = 0.81 [0.78, 0.84], ordinal alpha = 0.85,
        omega = 0.82, weakest item INF3 (r.drop = 0.52): meets the usual thresholds."`` (ordinal alpha
        only when the table has an ``ordinal_alpha`` column).

    Examples
    --------
    >>> t = pd.DataFrame({"alpha": [0.65], "alpha_ci_lower": [0.6], "alpha_ci_upper": [0.7],
    ...                   "omega_total": [0.66], "weakest_item": ["B2"], "weakest_r_drop": [0.35]}, index=["B"])
    >>> reliability_sentences(t)[0]
    'B: alpha = 0.65 [0.60, 0.70], omega = 0.66, weakest item B2 (r.drop = 0.35): does not meet the threshold (alpha and omega >= 0.70).'
    """
    if lang not in ("en", "zh"):
        raise ValueError(f"lang must be 'en' or 'zh'; got {lang!r}")
    t = table if "verdict" in getattr(table, "columns", ()) else assess_reliability(table)
    th = RELIABILITY_THRESHOLDS
    out = []
    for cid, row in t.iterrows():
        en, zh = _label(codebook, cid, "en"), _label(codebook, cid, "zh")
        special = _special_sentence(row, en, zh, codebook is None, lang)
        if special:
            out.append(special)
            continue
        nums = (
            f"alpha = {_f(row['alpha'])} [{_f(row['alpha_ci_lower'])}, {_f(row['alpha_ci_upper'])}], "
            + _ordinal_text(row, lang)
            + f"omega = {_f(row['omega_total'])}, "
        )
        v = row["verdict"]
        if lang == "en":
            name = en if codebook is None or en == zh else f"{en} ({zh})"
            weak = f"weakest item {row['weakest_item']} (r.drop = {_f(row['weakest_r_drop'])})"
            if v == "good":
                tail = f"meets the usual thresholds (alpha >= {th['alpha_good']:.2f}, good)."
            elif v == "acceptable":
                tail = (
                    f"meets the usual thresholds (alpha >= {th['alpha_acceptable']:.2f}, acceptable, "
                    f"below {th['alpha_good']:.2f})."
                )
            elif v == "weak item":
                tail = (
                    f"alpha and omega meet the threshold, but item {row['weakest_item']} has "
                    f"r.drop below {th['r_drop_min']:.2f}."
                )
            else:
                tail = f"does not meet the threshold (alpha and omega >= {th['alpha_acceptable']:.2f})."
            out.append(f"{name}: {nums}{weak}: {tail}")
        else:
            name = zh if codebook is None or en == zh else f"{zh}（{en}）"
            weak = f"最弱题项 {row['weakest_item']}（r.drop = {_f(row['weakest_r_drop'])}）"
            if v == "good":
                tail = f"达到通常标准（alpha ≥ {th['alpha_good']:.2f}，信度良好）。"
            elif v == "acceptable":
                tail = (
                    f"达到通常标准（alpha ≥ {th['alpha_acceptable']:.2f}，信度可接受，低于 {th['alpha_good']:.2f}）。"
                )
            elif v == "weak item":
                tail = f"alpha 与 omega 达到标准，但题项 {row['weakest_item']} 的 r.drop 低于 {th['r_drop_min']:.2f}。"
            else:
                tail = f"未达到标准（alpha 与 omega 应 ≥ {th['alpha_acceptable']:.2f}）。"
            out.append(f"{name}：{nums}{weak}：{tail}")
    return out


def _ordinal_text(row: pd.Series, lang: str, *, two: bool = False) -> str:
    """``"ordinal alpha = 0.85, "`` (``"有序alpha = 0.85，"``) when the table has the column, else ``""``."""
    if "ordinal_alpha" not in row.index:
        return ""
    if two:
        return f" (ordinal {_f(row['ordinal_alpha'])})" if lang == "en" else f"（有序 {_f(row['ordinal_alpha'])}）"
    return (
        f"ordinal alpha = {_f(row['ordinal_alpha'])}, " if lang == "en" else f"有序alpha = {_f(row['ordinal_alpha'])}, "
    )


def _special_sentence(row: pd.Series, en: str, zh: str, bare: bool, lang: str) -> str | None:
    """The sentence of a scale not computed or measured by two items (Spearman-Brown), else None."""
    sb = row.get("spearman_brown", math.nan)
    if row["verdict"] != "not computed" and (sb is None or pd.isna(sb)):
        return None
    th = RELIABILITY_THRESHOLDS["alpha_acceptable"]
    if lang == "en":
        name = en if bare or en == zh else f"{en} ({zh})"
        if row["verdict"] == "not computed":
            return f"{name}: reliability not computed ({row.get('reliability_note', '')})."
        meets = "meets" if row["meets"] else "does not meet"
        return (
            f"{name}: two items, Spearman-Brown coefficient = {_f(sb)}{_ordinal_text(row, lang, two=True)}: "
            f"{meets} the threshold ({th:.2f})."
        )
    name = zh if bare or en == zh else f"{zh}（{en}）"
    if row["verdict"] == "not computed":
        return f"{name}：未计算信度（{row.get('reliability_note_zh', row.get('reliability_note', ''))}）。"
    meets = "达到" if row["meets"] else "未达到"
    return f"{name}：两个题项，Spearman-Brown 系数 = {_f(sb)}{_ordinal_text(row, lang, two=True)}：{meets}标准（{th:.2f}）。"


_SUMMARY = {
    "en": {
        "coef": "Alpha",
        "coef_two": "Alpha (for two-item scales the Spearman-Brown coefficient)",
        "all": "{coef} reaches {ok:.2f} for all {k} constructs and {good:.2f} for {n_good} of them{ranges}",
        "some": "{coef} reaches {ok:.2f} for {n_ok} of {k} constructs and {good:.2f} for {n_good}{ranges}",
        "ranges": " ({parts})",
        "range": "{name} {lo}-{hi}",
        "range_sep": ", ",
        "omega": "omega",
        "ordinal": "ordinal alpha",
        "ordinal_omega": "ordinal omega",
        "lowest": "; the lowest is {label} ({value})",
        "named": "{label} ({value})",
        "below": "; {names} {verb} the threshold (alpha and omega >= {ok:.2f})",
        "below_verb": ("falls below", "fall below"),
        "value": "alpha = {a} [{lo}, {hi}]",
        "value_two": "Spearman-Brown = {sb}",
        "value_below": "alpha = {a}, omega = {o}",
        "weakest": "The weakest item overall is {item} of {label} (r.drop = {r})",
        "weak_none": "; every item's r.drop is at least {m:.2f}.",
        "weak_some": "; below r.drop {m:.2f}: {items}.",
        "weak_item": "{item} of {label} ({r})",
        "not_computed": "Reliability is not computed for {names}.",
        "not_computed_one": "{label} ({why})",
        "end": ".",
        "sep": ", ",
        "and": " and ",
    },
    "zh": {
        "coef": "alpha",
        "coef_two": "alpha（两题项量表为Spearman-Brown系数）",
        "all": "全部{k}个构念的{coef}均达到{ok:.2f}，其中{n_good}个达到{good:.2f}{ranges}",
        "some": "{k}个构念中有{n_ok}个的{coef}达到{ok:.2f}，其中{n_good}个达到{good:.2f}{ranges}",
        "ranges": "（{parts}）",
        "range": "{name} {lo}-{hi}",
        "range_sep": "，",
        "omega": "omega",
        "ordinal": "有序alpha",
        "ordinal_omega": "有序omega",
        "lowest": "；最低的是{label}（{value}）",
        "named": "{label}（{value}）",
        "below": "；{names}未达到标准（alpha与omega应 ≥ {ok:.2f}）",
        "below_verb": ("", ""),
        "value": "alpha = {a} [{lo}, {hi}]",
        "value_two": "Spearman-Brown系数 = {sb}",
        "value_below": "alpha = {a}，omega = {o}",
        "weakest": "全部题项中最弱的是{label}的{item}（r.drop = {r}）",
        "weak_none": "，所有题项的r.drop均不低于{m:.2f}。",
        "weak_some": "；r.drop低于{m:.2f}的题项：{items}。",
        "weak_item": "{label}的{item}（{r}）",
        "not_computed": "未计算信度的构念：{names}。",
        "not_computed_one": "{label}（{why}）",
        "end": "。",
        "sep": "、",
        "and": "和",
    },
}


def _joined(names: list[str], w: dict) -> str:
    """``a, b and c`` (``a、b和c``)."""
    return names[0] if len(names) == 1 else w["sep"].join(names[:-1]) + w["and"] + names[-1]


def _coefficient(t: pd.DataFrame) -> pd.Series:
    """The coefficient each verdict rests on: alpha, or the Spearman-Brown coefficient of a two-item scale."""
    coef = pd.to_numeric(t["alpha"], errors="coerce")
    if "spearman_brown" in t.columns:
        sb = pd.to_numeric(t["spearman_brown"], errors="coerce")
        coef = coef.where(sb.isna(), sb)
    return coef


def _ranges(t: pd.DataFrame, w: dict) -> str:
    """``" (omega 0.72-0.84, ordinal alpha 0.74-0.87, ordinal omega 0.75-0.87)"``: the ranges of the other
    coefficients of the table (those it has)."""
    parts = []
    for col, name in (("omega_total", "omega"), ("ordinal_alpha", "ordinal"), ("ordinal_omega_total", "ordinal_omega")):
        v = pd.to_numeric(t[col], errors="coerce").dropna() if col in t.columns else pd.Series(dtype=float)
        if len(v):
            parts.append(w["range"].format(name=w[name], lo=_f(v.min()), hi=_f(v.max())))
    return w["ranges"].format(parts=w["range_sep"].join(parts)) if parts else ""


def _value(row: pd.Series, w: dict, *, below: bool = False) -> str:
    """A construct's coefficient as the summary cites it: alpha with its interval (with omega when it is below
    the threshold), or a two-item scale's Spearman-Brown coefficient."""
    sb = row.get("spearman_brown", math.nan)
    if sb is not None and not pd.isna(sb):
        return w["value_two"].format(sb=_f(sb))
    if below:
        return w["value_below"].format(a=_f(row["alpha"]), o=_f(row["omega_total"]))
    return w["value"].format(a=_f(row["alpha"]), lo=_f(row["alpha_ci_lower"]), hi=_f(row["alpha_ci_upper"]))


def _count_sentence(t: pd.DataFrame, label: Any, w: dict) -> str:
    """How many constructs reach 0.70 and 0.80, the ranges beside, and the lowest or those below the threshold."""
    th = RELIABILITY_THRESHOLDS
    coef = _coefficient(t)
    two = "spearman_brown" in t.columns and bool(t["spearman_brown"].notna().any())
    n_ok, n_good = int((coef >= th["alpha_acceptable"]).sum()), int((coef >= th["alpha_good"]).sum())
    fill = {"coef": w["coef_two" if two else "coef"], "ok": th["alpha_acceptable"], "good": th["alpha_good"]}
    fill |= {"k": len(t), "n_ok": n_ok, "n_good": n_good, "ranges": _ranges(t, w)}
    text = w["all" if n_ok == len(t) else "some"].format(**fill)
    below = t[t["verdict"] == "below threshold"]
    if len(below):
        names = [w["named"].format(label=label(c), value=_value(r, w, below=True)) for c, r in below.iterrows()]
        verb = w["below_verb"][len(names) > 1]
        text += w["below"].format(names=_joined(names, w), verb=verb, ok=th["alpha_acceptable"])
    lowest = coef.idxmin() if coef.notna().any() else None
    if lowest is not None and lowest not in below.index:
        text += w["lowest"].format(label=label(lowest), value=_value(t.loc[lowest], w))
    return text + w["end"]


def _item_sentence(t: pd.DataFrame, label: Any, w: dict) -> str | None:
    """The weakest item over all constructs, and the constructs with an item below the r.drop threshold."""
    r = pd.to_numeric(t["weakest_r_drop"], errors="coerce")
    if not r.notna().any():
        return None
    m = RELIABILITY_THRESHOLDS["r_drop_min"]
    c = r.idxmin()
    text = w["weakest"].format(item=t.loc[c, "weakest_item"], label=label(c), r=_f(r[c]))
    weak = r[r < m]
    if not len(weak):
        return text + w["weak_none"].format(m=m)
    items = [w["weak_item"].format(item=t.loc[s, "weakest_item"], label=label(s), r=_f(v)) for s, v in weak.items()]
    return text + w["weak_some"].format(m=m, items=_joined(items, w))


def reliability_summary(table: pd.DataFrame, codebook: Any = None, *, lang: str = "en") -> list[str]:
    """Two sentences that summarise the reliability table (which the report shows beside them).

    Parameters
    ----------
    table : DataFrame
        Output of :func:`emstudy.stats.reliability.reliability_table`, indexed by construct, with the verdict
        columns of :func:`assess_reliability` (added if absent) and optionally ``ordinal_alpha``,
        ``spearman_brown`` (two-item scales) and ``reliability_note``/``reliability_note_zh`` (scales not
        computed, verdict ``"not computed"``).
    codebook : Codebook, optional
        Gives the construct labels in ``lang``; without it the construct ids are used.
    lang : {"en", "zh"}

    Returns
    -------
    list of str
        How many constructs reach alpha 0.70 and 0.80 (Nunnally 1978; the Spearman-Brown coefficient for a
        two-item scale), the ranges of omega and ordinal alpha, the lowest construct or those below the
        threshold; the weakest item over all constructs and those below r.drop 0.30 (Nunnally & Bernstein
        1994); the scales not computed, with the reason. Construct names in ``lang`` only.

    References
    ----------
    Nunnally, J. C. (1978). *Psychometric theory* (2nd ed.). McGraw-Hill.
    Nunnally, J. C., & Bernstein, I. H. (1994). *Psychometric theory* (3rd ed.). McGraw-Hill.

    Examples
    --------
    >>> t = pd.DataFrame({"alpha": [0.85, 0.74], "alpha_ci_lower": [0.82, 0.7], "alpha_ci_upper": [0.88, 0.78],
    ...                   "omega_total": [0.86, 0.75], "weakest_item": ["A2", "B3"],
    ...                   "weakest_r_drop": [0.52, 0.41]}, index=["A", "B"])
    >>> print("\\n".join(reliability_summary(t)))
    Alpha reaches 0.70 for all 2 constructs and 0.80 for 1 of them (omega 0.75-0.86); the lowest is B (alpha = 0.74 [0.70, 0.78]).
    The weakest item overall is B3 of B (r.drop = 0.41); every item's r.drop is at least 0.30.
    """
    if lang not in ("en", "zh"):
        raise ValueError(f"lang must be 'en' or 'zh'; got {lang!r}")
    t = table if "verdict" in getattr(table, "columns", ()) else assess_reliability(table)
    w = _SUMMARY[lang]
    label = lambda c: _label(codebook, c, lang)  # noqa: E731
    done = t[t["verdict"] != "not computed"]
    out = [_count_sentence(done, label, w)] if len(done) else []
    item = _item_sentence(done, label, w) if len(done) else None
    out += [item] if item else []
    skipped = t[t["verdict"] == "not computed"]
    if len(skipped):
        note = "reliability_note" if lang == "en" else "reliability_note_zh"
        names = [
            w["not_computed_one"].format(label=label(c), why=r.get(note, r.get("reliability_note", "")))
            for c, r in skipped.iterrows()
        ]
        out.append(w["not_computed"].format(names=w["sep"].join(names)))
    return out
