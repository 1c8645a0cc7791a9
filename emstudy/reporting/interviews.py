"""The case report's section on interviews beside the survey (issue 17): what the findings say about the two
coders' agreement and the triangulation, and the tables the report shows, in English and Chinese.

The results come from :func:`emstudy.steps.interviews.run` (read here through :class:`InterviewResults`, as the
reporting layer does not import the steps). Codes and constructs are named by their labels in the report's
language, never by their ids.

References
----------
Landis, J. R., & Koch, G. G. (1977). The measurement of observer agreement for categorical data.
*Biometrics*, 33(1), 159-174.
Krippendorff, K. (2004). *Content Analysis: An Introduction to Its Methodology* (2nd ed.), p. 241. Sage.
O'Cathain, A., Murphy, E., & Nicholl, J. (2010). Three techniques for integrating data in mixed methods
studies. *BMJ*, 341, c4587.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Protocol

import pandas as pd

from emstudy.reporting.document import Table

__all__ = ["InterviewResults", "TITLE", "interview_sentences", "interview_tables"]


class InterviewResults(Protocol):
    """What the report reads of :class:`emstudy.steps.interviews.InterviewResults`."""

    synthetic: bool
    coders: tuple[str, ...]
    n_segments: int
    agreement: pd.DataFrame
    triangulation: pd.DataFrame
    settings: dict
    open_answers: dict | None  # the coded open answers' summary, when the case has them (else None)


TITLE = {"en": "Interviews and the survey", "zh": "访谈与问卷"}
"""The heading of the section (and of the notebook's section)."""

_READING = {
    "poor": "差",
    "slight": "轻微",
    "fair": "一般",
    "moderate": "中等",
    "substantial": "较强",
    "almost perfect": "几乎完全一致",
    "reliable": "可靠",
    "tentative": "仅可作初步结论",
    "unreliable": "不可靠",
    "not defined": "无法计算",
    "": "",
}
_TEXT = {
    "en": {
        "who_synthetic": "Synthetic interviews: two simulated coders ({coders}) coded {n} interview segments of the "
        "case against the interview code book (data/interview_codes.yml); the generator set how well they agree.",
        "who": "Two coders ({coders}) coded {n} interview segments of the case against the interview code book "
        "(data/interview_codes.yml).",
        "overall": "Over all codes the coders gave the same code(s) to {percent} of the segments; Cohen's kappa = "
        "{kappa} ({ci} {kappa_ci}), {kappa_reading} agreement in the words of Landis & Koch (1977); "
        "Krippendorff's alpha = {alpha} ({ci} {alpha_ci}, bootstrap), {alpha_reading} by Krippendorff (2004: "
        "reliable at .800 or above, tentative conclusions only at .667 or above).",
        "alpha_words": {"reliable": "reliable", "tentative": "enough for tentative conclusions only"},
        "flagged": "{k} of the {m} codes used {verb} below the thresholds (alpha below .667, or kappa at .60 or "
        "below; the table lists {them}){lowest}. Interview statements resting on {them} are uncertain.",
        "verb": ("falls", "fall"),
        "them": ("it", "them"),
        "lowest": (": \u201c{label}\u201d (alpha {alpha})", ", the lowest \u201c{label}\u201d (alpha {alpha})"),
        "diverge_more": "Where they diverge, {parts}.",
        "diverge_interviews": "the interviews concentrate their problems on {constructs}, which the survey does not "
        "rate below the other places",
        "diverge_survey": "the survey rates {constructs} below the other places, where the interviews do not "
        "concentrate their problems",
        "and": " and ",
        "none_flagged": "None of the {m} codes used falls below the thresholds (alpha below .667, or kappa at .60 "
        "or below).",
        "tri": "Triangulation with the survey (O'Cathain, Murphy & Nicholl 2010): interviews and survey agree on "
        "{agree} of {k} constructs{diverge}{silent}. The interviews name a construct a problem when it holds "
        "more than an even share of the segments both coders coded as a problem, and more problem than strength "
        "codings; the survey names it a weakness when it is rated below the other places (notebook 05).",
        "open": "The open answers were coded the same way ({source}): the two coders agreed on {percent} of {n} "
        "answers; Cohen's kappa = {kappa}, Krippendorff's alpha = {alpha} ({ci} {alpha_ci}), {alpha_reading}. "
        "The triangulation table gives, beside the interviews', the number of open answers coding each construct "
        "as a problem and whether they concentrate their problems on it (the same rule).",
        "diverge": " and diverge on {n} ({constructs})",
        "diverge_none": " and diverge on none",
        "silent": "; {n} come up too rarely in the interviews to compare (fewer than {m} segments)",
        "sep": "; ",
        "list_sep": ", ",
        "ci": "95% CI",
        "to": " to ",
        "caption_overall": "Agreement of the two coders over all codes",
        "caption_flagged": "Codes below the agreement thresholds",
        "caption_tri": "Triangulation: the survey's verdict beside the interviews' problem codings",
        "synthetic": " (synthetic data)",
        "coefficient": "Coefficient",
        "estimate": "Estimate",
        "ci_lower": "CI lower",
        "ci_upper": "CI upper",
        "reading": "Reading",
        "source": "Source",
        "code": "Code",
        "n_coded_1": "Coder 1",
        "n_coded_2": "Coder 2",
        "n_coded_both": "Both",
        "construct": "Construct",
        "survey_weakness": "Survey: below other places",
        "case_weakness": "Listed weakness",
        "n_segments": "Segments",
        "n_problem": "Coded a problem",
        "n_strength": "Coded a strength",
        "interview_problem": "Interviews: a problem",
        "open_n_problem": "Open answers coded a problem",
        "open_problem": "Open answers: a problem",
        "verdict": "Verdict",
        "yes": "yes",
        "no": "no",
        "none": "-",
        "verdicts": {"agreement": "agree", "divergence": "diverge", "silence": "too few segments"},
        "names": ("Cohen's kappa", "Krippendorff's alpha (nominal)", "Gwet's AC1", "Percent agreement"),
        "sources": ("Landis & Koch (1977)", "Krippendorff (2004)", "Gwet (2014); Landis & Koch (1977) words", ""),
    },
    "zh": {
        "who_synthetic": "合成访谈数据：两名模拟编码员（{coders}）依据访谈编码表（data/interview_codes.yml）对本案例的"
        "{n}个访谈片段进行了编码，二者的一致程度由生成程序设定。",
        "who": "两名编码员（{coders}）依据访谈编码表（data/interview_codes.yml）对本案例的{n}个访谈片段进行了编码。",
        "overall": "在全部编码上，两名编码员对{percent}的片段给出了相同的编码；Cohen's kappa = {kappa}（{ci}"
        "{kappa_ci}），按Landis和Koch（1977）的标准为“{kappa_reading}”；Krippendorff's alpha = {alpha}（{ci}"
        "{alpha_ci}，自助法），按Krippendorff（2004）的标准为“{alpha_reading}”（不低于0.800为可靠，不低于0.667"
        "可作初步结论）。",
        "alpha_words": {},
        "flagged": "所用{m}个编码中有{k}个低于阈值（alpha低于0.667，或kappa不高于0.60；见下表）{lowest}。依据这些编码的"
        "访谈结论不够确定。",
        "verb": ("", ""),
        "them": ("", ""),
        "lowest": ("：“{label}”（alpha {alpha}）", "，其中最低的是“{label}”（alpha {alpha}）"),
        "diverge_more": "二者不一致之处：{parts}。",
        "diverge_interviews": "访谈中的问题集中于{constructs}，而问卷未显示其低于其他地区",
        "diverge_survey": "问卷显示{constructs}低于其他地区，而访谈中的问题并不集中于此",
        "and": "和",
        "none_flagged": "所用{m}个编码均未低于阈值（alpha低于0.667，或kappa不高于0.60）。",
        "tri": "访谈与问卷的三角互证（O'Cathain、Murphy和Nicholl，2010）：{k}个构念中，二者在{agree}个上一致{diverge}{silent}。"
        "若某构念所占"
        "的“两名编码员均编码为问题”的片段多于平均份额，且问题编码多于优势编码，即视为访谈指出的问题；若问卷中"
        "该构念低于其他地区（笔记本05），即视为问卷显示的弱项。",
        "open": "开放题回答也按同一编码表进行了编码（{source}）：两名编码员在{n}条回答中对{percent}给出了相同的编码；"
        "Cohen's kappa = {kappa}，Krippendorff's alpha = {alpha}（{ci}{alpha_ci}），为“{alpha_reading}”。三角互证表在访谈"
        "之外列出了将各构念编码为问题的开放题回答数，以及按同一规则问题是否集中于此。",
        "diverge": "，在{n}个上不一致（{constructs}）",
        "diverge_none": "，没有不一致的构念",
        "silent": "；另有{n}个在访谈中涉及过少（少于{m}个片段），无法比较",
        "sep": "；",
        "list_sep": "、",
        "ci": "95%置信区间",
        "to": "至",
        "caption_overall": "两名编码员在全部编码上的一致性",
        "caption_flagged": "低于一致性阈值的编码",
        "caption_tri": "三角互证：问卷结论与访谈中的问题编码",
        "synthetic": "（合成数据）",
        "coefficient": "系数",
        "estimate": "估计值",
        "ci_lower": "置信区间下限",
        "ci_upper": "置信区间上限",
        "reading": "解读",
        "source": "依据",
        "code": "编码",
        "n_coded_1": "编码员1",
        "n_coded_2": "编码员2",
        "n_coded_both": "二者均编码",
        "construct": "构念",
        "survey_weakness": "问卷：低于其他地区",
        "case_weakness": "案例所列弱项",
        "n_segments": "片段数",
        "n_problem": "问题编码",
        "n_strength": "优势编码",
        "interview_problem": "访谈：问题集中",
        "open_n_problem": "开放题问题编码",
        "open_problem": "开放题：问题集中",
        "verdict": "判断",
        "yes": "是",
        "no": "否",
        "none": "-",
        "verdicts": {"agreement": "一致", "divergence": "不一致", "silence": "片段过少"},
        "names": ("Cohen's kappa", "Krippendorff's alpha（名义）", "Gwet's AC1", "百分比一致率"),
        "sources": ("Landis和Koch（1977）", "Krippendorff（2004）", "Gwet（2014）；按Landis和Koch（1977）解读", ""),
    },
}
_COEFFICIENTS = ("kappa", "alpha", "ac1", "percent")


def _num(value: float, digits: int = 3) -> str:
    return f"{value:.{digits}f}" if value is not None and math.isfinite(value) else "-"


def _reading(word: str, lang: str) -> str:
    return word if lang == "en" else _READING.get(word, word)


def _interval(row: Mapping, name: str, lang: str) -> str:
    return f"{_num(row[f'{name}_ci_lower'])}{_TEXT[lang]['to']}{_num(row[f'{name}_ci_upper'])}"


def _flagged(agreement: pd.DataFrame) -> pd.DataFrame:
    codes = agreement[agreement["unit"] != "overall"]
    return codes[codes["flagged"].astype(bool)]


def _sentences(ir: InterviewResults, lang: str) -> list[str]:
    t = _TEXT[lang]
    agreement, tri = ir.agreement, ir.triangulation
    row = agreement[agreement["unit"] == "overall"].iloc[0]
    sep = t["list_sep"]
    out = [t["who_synthetic" if ir.synthetic else "who"].format(coders=sep.join(ir.coders), n=ir.n_segments)]
    alpha_reading = t["alpha_words"].get(row["alpha_reading"], _reading(row["alpha_reading"], lang))
    out.append(
        t["overall"].format(
            percent=f"{row['percent']:.1%}" if math.isfinite(row["percent"]) else "-",
            kappa=_num(row["kappa"]),
            kappa_ci=_interval(row, "kappa", lang),
            kappa_reading=_reading(row["kappa_reading"], lang),
            alpha=_num(row["alpha"]),
            alpha_ci=_interval(row, "alpha", lang),
            alpha_reading=alpha_reading,
            ci=t["ci"],
        )
    )
    out.append(_flagged_sentence(agreement, lang))
    count = {v: int((tri["verdict"] == v).sum()) for v in ("agreement", "divergence", "silence")}
    divergent = list(tri.loc[tri["verdict"] == "divergence", f"construct_{lang}"])
    m = ir.settings["min_segments"]
    diverge = t["diverge"].format(n=len(divergent), constructs=sep.join(divergent)) if divergent else t["diverge_none"]
    silent = t["silent"].format(n=count["silence"], m=m) if count["silence"] else ""
    out.append(t["tri"].format(agree=count["agreement"], k=len(tri), diverge=diverge, silent=silent))
    out += _divergence_sentence(tri, lang)
    opened = getattr(ir, "open_answers", None)
    if opened is not None:
        out.append(_open_sentence(opened, lang))
    return out


def _joined(names: list[str], t: Mapping) -> str:
    return names[0] if len(names) == 1 else t["list_sep"].join(names[:-1]) + t["and"] + names[-1]


def _flagged_sentence(agreement: pd.DataFrame, lang: str) -> str:
    """How many codes fall below the thresholds and the lowest of them (the table lists them all)."""
    t = _TEXT[lang]
    flagged, m = _flagged(agreement), int((agreement["unit"] != "overall").sum())
    if not len(flagged):
        return t["none_flagged"].format(m=m)
    alpha = pd.to_numeric(flagged["alpha"], errors="coerce")
    lowest, one = "", len(flagged) == 1
    if alpha.notna().any():
        k = alpha.idxmin()
        lowest = t["lowest"][not one].format(label=flagged.at[k, lang], alpha=_num(alpha[k]))
    return t["flagged"].format(k=len(flagged), m=m, verb=t["verb"][not one], them=t["them"][not one], lowest=lowest)


def _divergence_sentence(tri: pd.DataFrame, lang: str) -> list[str]:
    """One sentence on where interviews and survey diverge, grouped by direction (none when they do not)."""
    t = _TEXT[lang]
    diverge = tri[tri["verdict"] == "divergence"]
    parts = []
    for key, col in (("diverge_interviews", "interview_problem"), ("diverge_survey", "survey_weakness")):
        names = [
            str(c)
            for c, flag in zip(diverge[f"construct_{lang}"], diverge[col], strict=True)
            if _yes_no(flag, t) == t["yes"]
        ]
        if names:
            parts.append(t[key].format(constructs=_joined(names, t)))
    return [t["diverge_more"].format(parts=t["sep"].join(parts))] if parts else []


def _open_sentence(opened: Mapping, lang: str) -> str:
    """What the coded open answers' agreement is, and where the triangulation shows them."""
    t, o = _TEXT[lang], opened["overall"]
    kappa, alpha, pa = o["cohen_kappa"], o["krippendorff_alpha"], o["percent_agreement"]["estimate"]
    row = {"alpha_ci_lower": alpha["ci_lower"], "alpha_ci_upper": alpha["ci_upper"]}
    return t["open"].format(
        source=opened["source"],
        percent=f"{pa:.1%}" if math.isfinite(pa) else "-",
        n=opened["n_segments"],
        kappa=_num(kappa["estimate"]),
        alpha=_num(alpha["estimate"]),
        ci=t["ci"],
        alpha_ci=_interval(row, "alpha", lang),
        alpha_reading=t["alpha_words"].get(alpha["reading"], _reading(alpha["reading"], lang)),
    )


def interview_sentences(ir: InterviewResults) -> list[tuple[str, str]]:
    """The findings on a case's interviews, each as ``(en, zh)``: who coded what (labelled synthetic), the
    overall agreement with its readings and their sources, how many codes fall below the thresholds and the lowest
    (the table lists them), the triangulation's count with its rule, and one sentence on where interviews and survey
    diverge, by direction (the triangulation table gives each construct's numbers).
    """
    en, zh = _sentences(ir, "en"), _sentences(ir, "zh")
    return list(zip(en, zh, strict=True))


def _yes_no(value: object, t: Mapping) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return t["none"]
    return t["yes"] if bool(value) else t["no"]


def interview_tables(tables: Mapping[str, pd.DataFrame], *, synthetic: bool, lang: str) -> list[Table]:
    """The report's tables from ``tables["interview_agreement"]`` and ``tables["triangulation"]`` (the frames of
    :func:`emstudy.steps.interviews.run`): the four coefficients over all codes with their intervals, readings
    and sources; the codes flagged below the thresholds (when any); the triangulation per construct. Labels in
    the report's language; no table when the frames are absent."""
    if "interview_agreement" not in tables or "triangulation" not in tables:
        return []
    t = _TEXT[lang]
    tag = t["synthetic"] if synthetic else ""
    agreement, tri = tables["interview_agreement"], tables["triangulation"]
    row = agreement[agreement["unit"] == "overall"].iloc[0]
    overall = pd.DataFrame(
        {
            t["coefficient"]: list(t["names"]),
            t["estimate"]: [row[c] for c in _COEFFICIENTS],
            t["ci_lower"]: [row[f"{c}_ci_lower"] for c in _COEFFICIENTS],
            t["ci_upper"]: [row[f"{c}_ci_upper"] for c in _COEFFICIENTS],
            t["reading"]: [_reading(row[f"{c}_reading"], lang) for c in _COEFFICIENTS[:3]] + [""],
            t["source"]: list(t["sources"]),
        }
    )
    out = [Table(t["caption_overall"] + tag, overall, digits=3)]
    flagged = _flagged(agreement)
    if len(flagged):
        cols = {lang: "code", "n_coded_1": "n_coded_1", "n_coded_2": "n_coded_2", "n_coded_both": "n_coded_both"}
        shown = flagged[list(cols)].rename(columns={k: t[v] for k, v in cols.items()})
        for c in ("kappa", "alpha"):
            shown[c] = flagged[c].to_numpy()
        shown[f"alpha {t['ci_lower']}"] = flagged["alpha_ci_lower"].to_numpy()
        shown[f"alpha {t['ci_upper']}"] = flagged["alpha_ci_upper"].to_numpy()
        out.append(Table(t["caption_flagged"] + tag, shown.reset_index(drop=True), digits=3))
    shown = pd.DataFrame({t["construct"]: tri[f"construct_{lang}"]})
    for col in ("survey_weakness", "case_weakness"):
        shown[t[col]] = [_yes_no(v, t) for v in tri[col]]
    for col in ("n_segments", "n_problem", "n_strength"):
        shown[t[col]] = tri[col].astype(int)
    shown[t["interview_problem"]] = [_yes_no(v, t) for v in tri["interview_problem"]]
    if "open_problem" in tri.columns:  # coded open answers beside the interviews
        shown[t["open_n_problem"]] = tri["open_n_problem"].astype(int)
        shown[t["open_problem"]] = [_yes_no(v, t) for v in tri["open_problem"]]
    shown[t["verdict"]] = [t["verdicts"][v] for v in tri["verdict"]]
    out.append(Table(t["caption_tri"] + tag, shown, digits=3))
    return out
