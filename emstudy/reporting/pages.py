"""The study's reports: one per case (:func:`case_report`) and the cross-case summary (:func:`summary_report`),
in English and Chinese, with the synthetic-data banner on their first screen."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Protocol

import pandas as pd

from emstudy.reporting.document import FigureRef, Report, Section, Table
from emstudy.reporting.interviews import TITLE as INTERVIEWS_TITLE
from emstudy.reporting.interviews import interview_tables
from emstudy.survey.cases import Case
from emstudy.survey.codebook import Codebook
from emstudy.survey.privacy import retag


class CaseFindings(Protocol):
    """What a report reads of :class:`emstudy.steps.findings.CaseFindings` (the reporting layer does not
    import the steps)."""

    case: Case
    synthetic: bool
    findings: Sequence
    priorities: pd.DataFrame
    recommendations: Sequence
    tables: Mapping[str, pd.DataFrame]
    case_recommendations: Sequence


__all__ = ["case_report", "summary_report", "count_word", "from_thesis", "LANGS", "SYNTHETIC_NOTICE"]

LANGS = ("en", "zh")
"""The languages every report is written in."""

SYNTHETIC_NOTICE = {
    "en": (
        "SYNTHETIC DATA: these results come from emstudy's seeded synthetic study built on the shared "
        "instrument, not from the thesis's questionnaires, whose raw responses are not public."
    ),
    "zh": "合成数据：以下结果来自emstudy基于统一问卷生成的可复现合成数据，并非原论文的问卷数据（原始数据未公开）。",
}
"""First line of every notebook and report on synthetic data."""

_TEXT = {
    "en": {
        "case_title": "Emergency management in {name}: findings and recommendations",
        "summary_title": "{n} places compared: local emergency management in China",
        "banner_source": "This report reconstructs the case studied in the thesis whose abstract is {abstract} "
        "({framework}), measured with emstudy's shared instrument.",
        "banner_own": "This report analyses the survey of {name}, mapped onto emstudy's shared instrument and read "
        "through the case's own framework ({framework}).",
        "banner_own_source": "Source: {source}.",
        "the_case": "The case",
        "quality": "Data and quality",
        "reliability": "Reliability and validity",
        "structure": "Factor structure",
        "profile": "Construct profile",
        "priorities": "Priorities and drivers",
        "paths": "The framework's path model",
        "comparison": "Compared with the other places",
        "recommendations": "Recommendations",
        "not_run": "The {step} step has not been run for this case, so it is not reported.",
        "framework_table": "Framework dimensions and the constructs they map onto",
        "dimension": "dimension",
        "constructs": "constructs",
        "construct": "construct",
        "mean": "mean",
        "ci_lower": "95% CI low",
        "ci_upper": "95% CI high",
        "n": "n",
        "profile_caption": "Construct means with 95% confidence intervals (1 = strongly disagree, 5 = strongly agree)",
        "means_caption": "Construct means",
        "rec_line": "{rank}. [{dimension}] {text}{thesis}",
        "thesis_mark": " (also recommended by the thesis)",
        "no_priority": "No construct is rated clearly below this place's average.",
        "problems": "Problems the thesis reports: {problems}",
        "problems_own": "Problems the study reports: {problems}",
        "own_constructs": "Besides the shared instrument, this survey asked questions of its own: {constructs}. "
        "They are analysed in this case's reliability, structure and drivers, and left out of the comparison "
        "of places, which uses the shared constructs only.",
        "own_construct": "{label} ({n} items)",
        "own_recs_thesis": "Recommendations of the thesis",
        "own_recs_case": "Recommendations of the case study",
        "own_rec_line": "{rank}. {text} (constructs: {constructs}{priority})",
        "own_rec_priority": "; a priority in this survey: {constructs}",
        "sources": "Sources: {files}",
        "cases": "The cases",
        "shared": "Shared and particular weaknesses",
        "invariance": "Measurement invariance",
        "case": "case",
        "framework": "framework",
        "n_valid": "questionnaires analysed",
        "top": "top priorities",
        "pattern": "pattern",
        "patterns": {"shared": "shared", "particular": "particular"},
        "cases_col": "cases",
        "heatmap_caption": "Construct means by place",
        "profiles_caption": "Construct profiles of the {n} places",
        "rel_caption": "Reliability by construct (alpha with Feldt 95% CI; ordinal alpha, from polychoric "
        "correlations, of the latent responses behind the five categories; omega total)",
        "ipa_caption": "Importance-performance map: importance is the standardized weight of a construct for "
        "perceived effectiveness, performance its mean (95% CI); the shaded upper left is "
        "\u201cconcentrate here\u201d (Martilla & James 1977)",
        "mixed_data": "Synthetic data: {synthetic}. From survey files: {real}.",
        "reconstructed_all": "Each place is reconstructed from its thesis's abstract (see the case reports); the "
        "comparison uses one shared instrument.",
        "reconstructed_some": "The places taken from theses are reconstructed from their abstracts, the others come "
        "from their own surveys (see the case reports); the comparison uses one shared instrument.",
        "reconstructed_none": "Each place comes from its own survey (see the case reports); the comparison uses one "
        "shared instrument.",
        "list_sep": ", ",
        "open": "In respondents' own words",
        "open_caption": "Most frequent answers to the open question, quoted as written after scrubbing phone, ID, "
        "e-mail and listed names",
        "answer": "answer",
        "share": "share of respondents",
        "planning": "Planning a repeat survey",
        "planning_intro": "How many respondents would a repeat survey of each place need to find this study's "
        "findings again with power {power:g}? Notebook 06 simulated every finding {replications} times at each "
        "size from {n_min} to {n_max} respondents of the place, drawing construct scores as fitted (each place's "
        "observed means, covariances and missing rates; the other places at their observed sizes) and applying the "
        "study's own tests: a weakness is Welch's t test against the other places pooled with Holm's correction "
        "(notebook 05), a driver an OLS coefficient with HC3 standard errors (notebook 04). The respondents needed "
        "are the smallest size from which every finding of the place reaches that power. The last column is the "
        "analytic sample size of the RMSEA test of the place's CFA (MacCallum, Browne & Sugawara 1996); the model "
        "itself needs more respondents than its free parameters.",
        "planning_synthetic": "These numbers come from synthetic data: they plan a repeat of the synthetic study, "
        "not of the theses' surveys.",
        "planning_caption": "Respondents a repeat survey needs for power {power:g} (Monte Carlo)",
        "planning_cols": (
            "place",
            "respondents kept",
            "findings",
            "respondents needed",
            "the hardest finding to repeat",
            "CFA RMSEA test: n (analytic)",
        ),
        "planning_more": "more than {n}",
        "planning_none": "no finding",
        "reliability_table_cols": {
            "construct": "construct",
            "alpha": "alpha",
            "alpha_ci_lower": "CI low",
            "alpha_ci_upper": "CI high",
            "ordinal_alpha": "ordinal alpha",
            "omega_total": "omega",
        },
    },
    "zh": {
        "case_title": "{name}应急管理：研究发现与对策建议",
        "summary_title": "{n}地比较：中国基层政府应急管理",
        "banner_source": "本报告以emstudy统一问卷重建摘要文件{abstract}所对应学位论文的案例（{framework}）。",
        "banner_own": "本报告分析{name}的问卷调查数据：数据按emstudy统一问卷编码，并依本案例自身的分析框架（{framework}）解读。",
        "banner_own_source": "资料来源：{source}。",
        "the_case": "案例概况",
        "quality": "数据与质量",
        "reliability": "信度与效度",
        "structure": "因子结构",
        "profile": "构念得分概况",
        "priorities": "优先事项与影响因素",
        "paths": "分析框架的路径模型",
        "comparison": "与其他地区比较",
        "recommendations": "对策建议",
        "not_run": "本案例尚未运行{step}步骤，故不作报告。",
        "framework_table": "分析框架维度及其对应的构念",
        "dimension": "维度",
        "constructs": "构念",
        "construct": "构念",
        "mean": "均值",
        "ci_lower": "95%置信下限",
        "ci_upper": "95%置信上限",
        "n": "样本量",
        "profile_caption": "各构念均值及95%置信区间（1=非常不同意，5=非常同意）",
        "means_caption": "构念均值",
        "rec_line": "{rank}. 【{dimension}】{text}{thesis}",
        "thesis_mark": "（原论文亦提出此类建议）",
        "no_priority": "没有构念明显低于本地平均水平。",
        "problems": "原论文指出的问题：{problems}",
        "problems_own": "本研究指出的问题：{problems}",
        "own_constructs": "除共用问卷外，本次调查还设有自己的题目：{constructs}。这些构念纳入本案例的信度、结构和驱动因素分析，"
        "不纳入地区间比较（比较只用共用构念）。",
        "own_construct": "{label}（{n}个题项）",
        "own_recs_thesis": "原论文提出的对策建议",
        "own_recs_case": "本案例研究提出的对策建议",
        "own_rec_line": "{rank}. {text}（涉及构念：{constructs}{priority}）",
        "own_rec_priority": "；其中{constructs}为本次调查的优先事项",
        "sources": "数据来源：{files}",
        "cases": "案例",
        "shared": "共性问题与个性问题",
        "invariance": "测量等值性",
        "case": "案例",
        "framework": "分析框架",
        "n_valid": "有效问卷",
        "top": "首要优先事项",
        "pattern": "类型",
        "patterns": {"shared": "共有", "particular": "特有"},
        "cases_col": "涉及地区",
        "heatmap_caption": "各地构念均值",
        "profiles_caption": "{n}地构念得分剖面",
        "rel_caption": "各构念信度（alpha及Feldt 95%置信区间；有序alpha：基于多分格相关，针对五级选项背后的潜在连续反应；omega总系数）",
        "ipa_caption": "重要性-表现分析图：重要性为各构念对应急管理成效感知的标准化回归系数，表现为其均值（95%置信区间）；"
        "左上阴影区为“重点改进区”（Martilla & James 1977）",
        "mixed_data": "合成数据案例：{synthetic}。来自问卷文件的案例：{real}。",
        "reconstructed_all": "各地案例依据相应学位论文摘要重建（见各案例报告），比较采用统一问卷。",
        "reconstructed_some": "来自学位论文的案例依据其摘要重建，其余案例来自各自的问卷调查（见各案例报告），比较采用统一问卷。",
        "reconstructed_none": "各地案例均来自各自的问卷调查（见各案例报告），比较采用统一问卷。",
        "list_sep": "、",
        "open": "受访者的原话",
        "open_caption": "开放题最常见的回答（已去除电话、身份证号、邮箱及所列姓名）",
        "answer": "回答",
        "share": "占受访者比例",
        "planning": "重复调查的样本量规划",
        "planning_intro": "若对各地重复开展调查，需要多少受访者才能以{power:g}的统计功效重现本研究的发现？第06号笔记本"
        "按拟合所得的构念得分（各地观测到的均值、协方差和缺失率；其他地区保持其观测样本量）模拟每项发现，在本地受访者"
        "{n_min}至{n_max}人的每个样本量下各重复{replications}次，并采用本研究自身的检验：薄弱环节为与其他地区合并样本"
        "比较的Welch t检验（Holm校正，第05号笔记本），影响因素为采用HC3标准误的OLS回归系数（第04号笔记本）。"
        "所需受访者数为本地每项发现的统计功效均达到该水平的最小样本量。最后一列为按MacCallum、Browne和Sugawara"
        "（1996）公式计算的本地验证性因子分析RMSEA检验的解析样本量；模型本身所需的受访者还须多于其自由参数个数。",
        "planning_synthetic": "以上数字基于合成数据，用于规划合成研究的重复调查，而非原论文的调查。",
        "planning_caption": "统计功效达到{power:g}时重复调查所需的受访者数（蒙特卡洛模拟）",
        "planning_cols": ("地区", "有效样本", "发现数", "所需受访者数", "最难重现的发现", "CFA的RMSEA检验：解析样本量"),
        "planning_more": "超过{n}",
        "planning_none": "无发现",
        "reliability_table_cols": {
            "construct": "构念",
            "alpha": "alpha",
            "alpha_ci_lower": "置信下限",
            "alpha_ci_upper": "置信上限",
            "ordinal_alpha": "有序alpha",
            "omega_total": "omega",
        },
    },
}


_NUMBER_WORDS = {
    "en": ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"),
    "zh": tuple("零一二三四五六七八九十"),
}


def count_word(n: int, lang: str) -> str:
    """``n`` as a word for the reports' sentences ("four", "四"); digits above twelve (English) or ten (Chinese).

    Examples
    --------
    >>> count_word(4, "en"), count_word(5, "zh"), count_word(11, "en"), count_word(13, "en")
    ('four', '五', 'eleven', '13')
    """
    if lang not in _NUMBER_WORDS:
        raise ValueError(f"lang: expected 'en' or 'zh', got {lang!r}")
    words = _NUMBER_WORDS[lang]
    return words[n] if 0 <= n < len(words) else str(n)


_OPEN_SHOWN = 5
"""How many of the most frequent open answers a case report quotes."""


def _banner(lang: str, synthetic: bool) -> list[str]:
    return [SYNTHETIC_NOTICE[lang]] if synthetic else []


_ABSTRACT_FILE = re.compile(r"[\w.-]+\.txt")
_CJK = re.compile("[\u3400-\u9fff\uf900-\ufaff]")


def from_thesis(case: Case, *, synthetic: bool) -> bool:
    """True when the case reconstructs a thesis: its data are synthetic, or its ``source_abstract`` names the
    thesis's abstract file (``004_dde9e4339aefea6c.txt``). A case from a user's own survey is neither, and its
    reports say that it analyses that survey instead of naming a thesis.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> from_thesis(NS(source_abstract="004_dde9e4339aefea6c.txt"), synthetic=False)
    True
    >>> from_thesis(NS(source_abstract="Student's own survey, 2024"), synthetic=False)
    False
    """
    return synthetic or bool(_ABSTRACT_FILE.fullmatch(case.source_abstract.strip()))


def _opening(cf: CaseFindings, lang: str) -> list[str]:
    """The report's first lines: the synthetic notice and the thesis, or what a user's own case analyses."""
    t = _TEXT[lang]
    case = cf.case
    framework = case.framework.en if lang == "en" else case.framework.zh
    if from_thesis(case, synthetic=cf.synthetic):
        return _banner(lang, cf.synthetic) + [
            t["banner_source"].format(abstract=case.source_abstract, framework=framework)
        ]
    name = case.name.en if lang == "en" else case.name.zh
    opening = t["banner_own"].format(name=name, framework=framework)
    source = case.source_abstract.strip().rstrip(".。")
    # the Chinese report quotes the source only when it is written in Chinese (no English pasted into it)
    if source and (lang == "en" or _CJK.search(source)):
        opening += (" " if lang == "en" else "") + t["banner_own_source"].format(source=source)
    return [opening]


def _open_answer_tables(cf: CaseFindings, lang: str) -> list[Table]:
    """The most frequent open answers of a case (none when nobody answered)."""
    t = _TEXT[lang]
    counts = cf.tables.get("open_answers")
    if counts is None or not len(counts):
        return []
    top = counts.head(_OPEN_SHOWN)
    answers = top["answer"] if lang == "en" else top["answer"].map(lambda a: retag(a, replacement_style="zh"))
    return [
        Table(
            t["open_caption"],
            pd.DataFrame({t["answer"]: answers, t["n"]: top["n"], t["share"]: top["share"]}),
            digits=3,
        )
    ]


def _reliability_tables(cf: CaseFindings, codebook: Codebook, lang: str) -> list[Table]:
    """The reliability table of notebook 02 with construct labels (none when the step has not run)."""
    t = _TEXT[lang]
    if "reliability" not in cf.tables:
        return []
    cols = t["reliability_table_cols"]
    frame = cf.tables["reliability"]
    keep = [c for c in cols if c in frame.columns]
    shown = frame[keep].copy()
    if "construct" in shown.columns:
        shown["construct"] = [
            codebook.label(c, lang) if c in codebook.construct_ids or c == codebook.outcome.id else c
            for c in shown["construct"]
        ]
    return [Table(t["rel_caption"], shown.rename(columns=cols), digits=3)]


def case_report(
    cf: CaseFindings,
    codebook: Codebook,
    *,
    lang: str,
    figure_path: str | None = None,
    ipa_figure_path: str | None = None,
) -> Report:
    """The report of one case from its :class:`emstudy.steps.findings.CaseFindings`.

    ``figure_path`` and ``ipa_figure_path`` (relative to ``reports/``) are the construct profile and the
    importance-performance map, shown when given.
    """
    t = _TEXT[lang]
    case = cf.case
    name = case.name.en if lang == "en" else case.name.zh
    banner = _opening(cf, lang)
    by_kind: dict[str, list] = {}
    for f in cf.findings:
        by_kind.setdefault(f.kind, []).append(f)

    def section(title: str, kinds: Sequence[str], fallback: Sequence[str] = (), **parts) -> Section:
        paragraphs = [f.text(lang) for kind in kinds[:1] for f in by_kind.get(kind, [])] or list(fallback)
        paragraphs += [f.text(lang) for kind in kinds[1:] for f in by_kind.get(kind, [])]
        sources = [s for kind in kinds for s in sorted({f.source for f in by_kind.get(kind, [])})]
        return Section(title, paragraphs=paragraphs, source=", ".join(sources), **parts)

    not_run = lambda step: [t["not_run"].format(step=step)]  # noqa: E731
    sections = [_case_section(cf, codebook, lang), section(t["quality"], ["data"])]
    if "open" in by_kind:
        sections.append(section(t["open"], ["open"], tables=_open_answer_tables(cf, lang)))
    sections.append(
        section(
            t["reliability"], ["reliability"], not_run("02_reliability"), tables=_reliability_tables(cf, codebook, lang)
        )
    )
    sections.append(section(t["structure"], ["structure"], not_run("03_structure")))
    sections.append(_profile_section(cf, codebook, lang, figure_path))
    ipa_figures = [FigureRef(t["ipa_caption"], ipa_figure_path)] if ipa_figure_path else []
    sections.append(section(t["priorities"], ["priority", "drivers"], [t["no_priority"]], figures=ipa_figures))
    if "paths" in by_kind:
        sections.append(section(t["paths"], ["paths"]))
    sections.append(section(t["comparison"], ["comparison"], not_run("05_compare")))
    if "interviews" in by_kind:  # a case with coded interviews (issue 17): agreement and triangulation
        tables = interview_tables(cf.tables, synthetic=cf.synthetic, lang=lang)
        sections.append(section(INTERVIEWS_TITLE[lang], ["interviews"], tables=tables))
    sections.append(_recommendations_section(cf, lang))
    sections += _own_recommendations_sections(cf, codebook, lang)
    return Report(t["case_title"].format(name=name), lang, banner, sections)


def _case_section(cf: CaseFindings, codebook: Codebook, lang: str) -> Section:
    """The case itself: place, event, the thesis's problems and its framework mapped onto constructs."""
    t = _TEXT[lang]
    case = cf.case
    dims = pd.DataFrame(
        {
            t["dimension"]: [d.en if lang == "en" else d.zh for d in case.framework.dimensions],
            t["constructs"]: [
                ", ".join(codebook.label(c, lang) for c in d.constructs) for d in case.framework.dimensions
            ],
        }
    )
    place = case.place.en if lang == "en" else case.place.zh
    event = case.event.en if lang == "en" else case.event.zh
    problems = (" " if lang == "en" else "").join(p.en if lang == "en" else p.zh for p in case.problems)
    problems_key = "problems" if from_thesis(case, synthetic=cf.synthetic) else "problems_own"
    paragraphs = [place, event, t[problems_key].format(problems=problems)]
    if codebook.extension_ids:
        own = [
            t["own_construct"].format(label=codebook.label(c, lang), n=len(codebook.construct(c).items))
            for c in codebook.extension_ids
        ]
        paragraphs.append(t["own_constructs"].format(constructs=t["list_sep"].join(own)))
    return Section(t["the_case"], paragraphs=paragraphs, tables=[Table(t["framework_table"], dims)])


def _profile_section(cf: CaseFindings, codebook: Codebook, lang: str, figure_path: str | None) -> Section:
    """Construct means with their intervals, and the profile figure when given."""
    t = _TEXT[lang]
    means = cf.tables["means"]
    shown = pd.DataFrame(
        {
            t["construct"]: [codebook.label(c, lang) for c in means["construct"]],
            t["mean"]: means["mean"],
            t["ci_lower"]: means["ci_lower"],
            t["ci_upper"]: means["ci_upper"],
            t["n"]: means["n"],
        }
    )
    figures = [FigureRef(t["profile_caption"], figure_path)] if figure_path else []
    return Section(t["profile"], tables=[Table(t["means_caption"], shown)], figures=figures)


def _recommendations_section(cf: CaseFindings, lang: str) -> Section:
    """The ranked recommendations, marking those the thesis itself made."""
    t = _TEXT[lang]
    recs = [
        t["rec_line"].format(
            rank=r.rank,
            dimension=r.dimension_en if lang == "en" else r.dimension_zh,
            text=r.en if lang == "en" else r.zh,
            thesis=t["thesis_mark"] if r.made_by_thesis else "",
        )
        for r in cf.recommendations
    ]
    return Section(t["recommendations"], paragraphs=recs or [t["no_priority"]], source="data/recommendations.yml")


def _own_recommendations_sections(cf: CaseFindings, codebook: Codebook, lang: str) -> list[Section]:
    """The case file's own ``recommendations`` (the thesis's, or the user's study's), each with the constructs
    it addresses and which of them are priorities in the survey; none when the case file lists none."""
    t = _TEXT[lang]
    lines = []
    for rank, rec in enumerate(cf.case_recommendations, start=1):
        priority = [codebook.label(c, lang) for c in rec.constructs if c in rec.priority_constructs]
        lines.append(
            t["own_rec_line"].format(
                rank=rank,
                text=rec.en if lang == "en" else rec.zh,
                constructs=t["list_sep"].join(codebook.label(c, lang) for c in rec.constructs),
                priority=t["own_rec_priority"].format(constructs=t["list_sep"].join(priority)) if priority else "",
            )
        )
    if not lines:
        return []
    title = t["own_recs_thesis"] if from_thesis(cf.case, synthetic=cf.synthetic) else t["own_recs_case"]
    return [Section(title, paragraphs=lines, source=f"data/cases/{cf.case.id}.yml")]


def summary_report(
    case_findings: Sequence[CaseFindings],
    codebook: Codebook,
    *,
    lang: str,
    shared: pd.DataFrame,
    invariance_verdict: str | None,
    figures: Sequence[tuple[str, str]] = (),
    invariance_text: str | None = None,
    planning: Mapping[str, Mapping] | None = None,
) -> Report:
    """The cross-case summary from every case's findings and the comparison results.

    ``invariance_verdict`` is the English verdict of notebook 05 (``invariance.json``); the Chinese report
    states it in Chinese. ``invariance_text``, notebook 05's paragraph in the report's language (the level
    reached, freed intercepts and latent mean differences; ``text`` in ``invariance.json``), replaces the
    verdict when given. ``figures`` holds (caption key, relative path) pairs, the caption key one of
    ``heatmap_caption`` or ``profiles_caption``. ``planning`` maps case ids to notebook 06's ``planning.json``;
    the section "Planning a repeat survey" lists the places that have one.
    """
    t = _TEXT[lang]
    if lang == "zh":
        invariance_verdict = _zh_verdict(invariance_verdict)
    if invariance_text:
        invariance_verdict = invariance_text
    label = lambda c: codebook.label(c, lang)  # noqa: E731
    name_of = lambda cf: cf.case.name.en if lang == "en" else cf.case.name.zh  # noqa: E731
    synthetic = [name_of(cf) for cf in case_findings if cf.synthetic]
    banner = _banner(lang, bool(synthetic))
    if synthetic and len(synthetic) < len(case_findings):  # a user's own case beside the synthetic study
        real = [name_of(cf) for cf in case_findings if not cf.synthetic]
        banner.append(t["mixed_data"].format(synthetic=t["list_sep"].join(synthetic), real=t["list_sep"].join(real)))
    n_thesis = sum(from_thesis(cf.case, synthetic=cf.synthetic) for cf in case_findings)
    reconstructed = (
        "reconstructed_all"
        if n_thesis == len(case_findings)
        else "reconstructed_none"
        if n_thesis == 0
        else "reconstructed_some"
    )
    banner.append(t[reconstructed])
    rows = []
    for cf in case_findings:
        quality = next((f for f in cf.findings if f.kind == "data"), None)
        rows.append(
            {
                t["case"]: cf.case.name.en if lang == "en" else cf.case.name.zh,
                t["framework"]: cf.case.framework.en if lang == "en" else cf.case.framework.zh,
                t["n_valid"]: "" if quality is None else str(quality.values["n_valid"]),
                t["top"]: ", ".join(label(c) for c in cf.priorities["construct"].head(3)),
            }
        )
    shared_shown = shared.copy()
    shared_shown["construct"] = [label(c) for c in shared_shown["construct"]]
    names = {cf.case.id: name_of(cf) for cf in case_findings}  # the places by name, in the report's language
    shared_shown["cases"] = [
        t["list_sep"].join(names.get(c.strip(), c.strip()) for c in str(cases).split(","))
        for cases in shared_shown["cases"]
    ]
    shared_shown["pattern"] = [t["patterns"].get(p, p) for p in shared_shown["pattern"]]
    shared_shown = shared_shown.rename(
        columns={"construct": t["construct"], "cases": t["cases_col"], "pattern": t["pattern"]}
    )[[t["construct"], t["cases_col"], t["pattern"]]]
    sections = [
        Section(t["cases"], tables=[Table(t["cases"], pd.DataFrame(rows))]),
        Section(
            t["shared"],
            tables=[Table(t["shared"], shared_shown)],
            figures=[FigureRef(t[key].format(n=count_word(len(case_findings), lang)), path) for key, path in figures],
        ),
        Section(t["invariance"], paragraphs=[invariance_verdict or t["not_run"].format(step="05_compare")]),
    ]
    sections += _planning_sections(case_findings, planning or {}, lang)
    for cf in case_findings:
        name = cf.case.name.en if lang == "en" else cf.case.name.zh
        recs = [
            t["rec_line"].format(
                rank=r.rank,
                dimension=r.dimension_en if lang == "en" else r.dimension_zh,
                text=r.en if lang == "en" else r.zh,
                thesis="",
            )
            for r in cf.recommendations[:3]
        ]
        sections.append(Section(f"{t['recommendations']}: {name}", paragraphs=recs or [t["no_priority"]]))
    title = t["summary_title"].format(n=count_word(len(case_findings), lang))
    return Report(title[:1].upper() + title[1:], lang, banner, sections)


def _planning_sections(case_findings: Sequence[CaseFindings], planning: Mapping[str, Mapping], lang: str) -> list:
    """The respondents a repeat survey of each place needs (notebook 06's plans), labelled synthetic when a
    plan was computed from synthetic data; no section when no place has a plan."""
    t = _TEXT[lang]
    plans = [(cf, planning[cf.case.id]) for cf in case_findings if cf.case.id in planning]
    if not plans:
        return []
    settings = plans[0][1]["settings"]
    power = float(plans[0][1]["target_power"])
    rows = []
    for cf, plan in plans:
        needed = plan["needed"]
        if not plan["findings"]:
            needed = t["planning_none"]
        elif needed is None:
            needed = t["planning_more"].format(n=max(plan["settings"]["ns"]))
        hardest = plan.get("hardest")
        rmsea = plan.get("rmsea") or {}
        values = (
            cf.case.name.en if lang == "en" else cf.case.name.zh,
            str(plan["n_study"]),
            str(len(plan["findings"])),
            str(needed),
            "" if hardest is None else hardest[f"label_{lang}"],
            "" if rmsea.get("n") is None else str(rmsea["n"]),
        )
        rows.append(dict(zip(t["planning_cols"], values)))
    intro = t["planning_intro"].format(
        power=power, replications=settings["replications"], n_min=min(settings["ns"]), n_max=max(settings["ns"])
    )
    paragraphs = [intro] + ([t["planning_synthetic"]] if any(plan["synthetic"] for _, plan in plans) else [])
    table = Table(t["planning_caption"].format(power=power), pd.DataFrame(rows))
    return [Section(t["planning"], paragraphs=paragraphs, tables=[table])]


def _zh_verdict(verdict: str | None) -> str | None:
    """The Chinese of notebook 05's invariance verdict (:func:`emstudy.steps.compare.means_verdict`); a verdict
    it does not know is not pasted in English but pointed to."""
    if verdict is None:
        return None
    for level, text in (
        ("Scalar", "标量等值成立：各地的载荷与截距相等，可以比较各地的构念均值。"),
        (
            "Partial scalar",
            "部分标量等值成立：在部分等值模型下可以比较各地的潜变量均值；观测量表均值只能近似比较（部分截距不等）。",
        ),
        ("Only metric", "仅度量等值成立：各地载荷相等，可比较变量间关系，但不宜直接比较均值。"),
        ("Metric invariance does not hold", "度量等值不成立：各地这些构念的均值和变量间关系都不宜比较。"),
        ("Metric", "仅度量等值成立：各地载荷相等，可比较变量间关系，但不宜直接比较均值。"),
        ("Configural", "仅形态等值成立：各地因子结构相同，但不宜比较载荷或均值。"),
    ):
        if verdict.startswith(level):
            return text
    return "测量等值性检验的结论见第05号笔记本的结果（analysis/all/results/invariance.json）。"
