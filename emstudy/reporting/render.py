"""Rendered reports: a small document model written as Markdown and as self-contained HTML.

The HTML needs no network: styles are inline, there are no scripts or remote fonts, and figures are PNG
files under ``reports/figures/`` referenced by relative paths. Figures are saved without timestamps or
software metadata so that a rerun writes the same bytes.
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from emstudy.fileio import atomic_write_bytes, atomic_write_text
from emstudy.steps.findings import count_word

__all__ = ["Table", "FigureRef", "Section", "Report", "render_markdown", "render_html", "write_report",
           "save_figure", "figure_png", "report_stem"]

_CSS = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei",system-ui,sans-serif;max-width:60rem;
margin:2rem auto;padding:0 1rem;line-height:1.55;color:#1b1b1b}
.banner{border:2px solid #b45309;background:#fff7ed;padding:.75rem 1rem;margin:1rem 0;font-weight:600}
table{border-collapse:collapse;margin:.5rem 0 1.25rem 0;font-size:.92rem}
th,td{border-top:1px solid #999;border-bottom:1px solid #999;padding:.25rem .6rem;text-align:right}
th:first-child,td:first-child{text-align:left}
caption{caption-side:top;text-align:left;font-style:italic;padding-bottom:.25rem}
figure{margin:1rem 0}figure img{max-width:100%}figcaption{font-style:italic}
.source{color:#555;font-size:.85rem}
""".strip()


@dataclass(frozen=True)
class Table:
    """A table with its caption; numbers are shown as formatted by ``digits``."""

    caption: str
    frame: pd.DataFrame
    digits: int = 2
    index: bool = False


@dataclass(frozen=True)
class FigureRef:
    """A figure file relative to the report's folder (e.g. ``figures/yima_profile.png``)."""

    caption: str
    path: str


@dataclass(frozen=True)
class Section:
    heading: str
    paragraphs: Sequence[str] = ()
    bullets: Sequence[str] = ()
    tables: Sequence[Table] = ()
    figures: Sequence[FigureRef] = ()
    source: str = ""


@dataclass(frozen=True)
class Report:
    """A report: title, the banner on its first screen (synthetic data, thesis reconstructed), sections."""

    title: str
    lang: str
    banner: Sequence[str]
    sections: Sequence[Section] = field(default_factory=tuple)


def report_stem(name: str, lang: str) -> str:
    """File stem: ``<name>`` in English, ``<name>.zh`` in Chinese."""
    if lang not in ("en", "zh"):
        raise ValueError(f"lang must be 'en' or 'zh', got {lang!r}")
    return name if lang == "en" else f"{name}.zh"


def _formatted(table: Table) -> pd.DataFrame:
    frame = table.frame.reset_index() if table.index else table.frame.copy()
    out = pd.DataFrame(index=frame.index)
    for col in frame.columns:
        values = frame[col]
        if pd.api.types.is_float_dtype(values):
            out[str(col)] = [("" if pd.isna(v) else f"{v:.{table.digits}f}") for v in values]
        else:
            out[str(col)] = ["" if (v is None or (isinstance(v, float) and pd.isna(v))) else str(v) for v in values]
    return out


def _md_table(table: Table) -> str:
    frame = _formatted(table)
    # a cell is one line: line breaks in quoted free text become spaces, pipes are escaped
    cells = lambda row: "| " + " | ".join(" ".join(str(v).split()).replace("|", "\\|") for v in row) + " |"  # noqa: E731
    lines = [f"*{table.caption}*", "", cells(frame.columns), "| " + " | ".join("---" for _ in frame.columns) + " |"]
    lines += [cells(row) for row in frame.itertuples(index=False)]
    return "\n".join(lines)


def render_markdown(report: Report) -> str:
    """The report as Markdown (GitHub flavour)."""
    parts = [f"# {report.title}", ""]
    parts += [f"> **{line}**" if k == 0 else f"> {line}" for k, line in enumerate(report.banner)]
    for section in report.sections:
        parts += ["", f"## {section.heading}", ""]
        for paragraph in section.paragraphs:
            parts += [paragraph, ""]
        if section.bullets:
            parts += [f"- {b}" for b in section.bullets] + [""]
        for table in section.tables:
            parts += [_md_table(table), ""]
        for fig in section.figures:
            parts += [f"![{fig.caption}]({fig.path})", "", f"*{fig.caption}*", ""]
        if section.source:
            parts += [f"<sub>{section.source}</sub>", ""]
    return "\n".join(parts).rstrip() + "\n"


def _html_table(table: Table) -> str:
    frame = _formatted(table)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
                   for row in frame.itertuples(index=False))
    return (f"<table><caption>{html.escape(table.caption)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>")


def render_html(report: Report) -> str:
    """The report as one self-contained HTML page (inline CSS, no scripts, no remote resources)."""
    lang = "zh-CN" if report.lang == "zh" else "en"
    out = ["<!DOCTYPE html>", f'<html lang="{lang}">', "<head>", '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{html.escape(report.title)}</title>", f"<style>{_CSS}</style>", "</head>", "<body>",
           f"<h1>{html.escape(report.title)}</h1>",
           '<div class="banner" role="note">' + "<br>".join(html.escape(b) for b in report.banner) + "</div>"]
    for section in report.sections:
        out.append(f"<section><h2>{html.escape(section.heading)}</h2>")
        out += [f"<p>{html.escape(p)}</p>" for p in section.paragraphs]
        if section.bullets:
            out.append("<ul>" + "".join(f"<li>{html.escape(b)}</li>" for b in section.bullets) + "</ul>")
        out += [_html_table(t) for t in section.tables]
        out += [f'<figure><img src="{html.escape(f.path)}" alt="{html.escape(f.caption)}">'
                f"<figcaption>{html.escape(f.caption)}</figcaption></figure>" for f in section.figures]
        if section.source:
            out.append(f'<p class="source">{html.escape(section.source)}</p>')
        out.append("</section>")
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


def write_report(report: Report, reports_dir: str | Path, name: str) -> list[Path]:
    """Write ``<name>[.zh].md`` and ``.html`` atomically; returns the paths."""
    stem = report_stem(name, report.lang)
    reports_dir = Path(reports_dir)
    return [atomic_write_text(reports_dir / f"{stem}.md", render_markdown(report)),
            atomic_write_text(reports_dir / f"{stem}.html", render_html(report))]


def figure_png(fig, *, dpi: int = 100) -> bytes:
    """A matplotlib Figure as PNG bytes with no timestamp or software metadata: equal figures, equal bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None}, bbox_inches="tight")
    return buffer.getvalue()


def save_figure(fig, path: str | Path, *, dpi: int = 100) -> Path:
    """Save a matplotlib Figure as byte-stable PNG (see :func:`figure_png`), atomically."""
    return atomic_write_bytes(path, figure_png(fig, dpi=dpi))


# -- the study's reports --------------------------------------------------------------------------------------
_TEXT = {
    "en": {
        "case_title": "Emergency management in {name}: findings and recommendations",
        "summary_title": "{n} places compared: local emergency management in China",
        "banner_source": "This report reconstructs the case studied in the thesis whose abstract is {abstract} "
                         "({framework}), measured with emstudy's shared instrument.",
        "the_case": "The case", "quality": "Data and quality", "reliability": "Reliability and validity",
        "structure": "Factor structure", "profile": "Construct profile", "priorities": "Priorities and drivers",
        "comparison": "Compared with the other places", "recommendations": "Recommendations",
        "not_run": "The {step} step has not been run for this case, so it is not reported.",
        "framework_table": "Framework dimensions and the constructs they map onto",
        "dimension": "dimension", "constructs": "constructs", "construct": "construct", "mean": "mean",
        "ci_low": "95% CI low", "ci_high": "95% CI high", "n": "n",
        "profile_caption": "Construct means with 95% confidence intervals (1 = strongly disagree, 5 = strongly agree)",
        "means_caption": "Construct means",
        "rec_line": "{rank}. [{dimension}] {text}{thesis}", "thesis_mark": " (also recommended by the thesis)",
        "no_priority": "No construct is rated clearly below this place's average.",
        "problems": "Problems the thesis reports: {problems}",
        "sources": "Sources: {files}",
        "cases": "The cases", "shared": "Shared and particular weaknesses", "invariance": "Measurement invariance",
        "case": "case", "framework": "framework", "n_valid": "questionnaires analysed", "top": "top priorities",
        "pattern": "pattern", "cases_col": "cases",
        "heatmap_caption": "Construct means by place", "profiles_caption": "Construct profiles of the {n} places",
        "rel_caption": "Reliability by construct (alpha with Feldt 95% CI, omega total)",
        "ipa_caption": "Importance-performance map: importance is the standardized weight of a construct for "
                       "perceived effectiveness, performance its mean (95% CI); the shaded upper left is "
                       "\u201cconcentrate here\u201d (Martilla & James 1977)",
        "mixed_data": "Synthetic data: {synthetic}. From survey files: {real}.", "list_sep": ", ",
        "open": "In respondents' own words",
        "open_caption": "Most frequent answers to the open question, quoted as written after scrubbing phone, ID, "
                        "e-mail and listed names",
        "answer": "answer", "share": "share of respondents",
        "reliability_table_cols": {"construct": "construct", "alpha": "alpha", "alpha_ci_low": "CI low",
                                   "alpha_ci_high": "CI high", "omega_total": "omega"},
    },
    "zh": {
        "case_title": "{name}应急管理：研究发现与对策建议",
        "summary_title": "{n}地比较：中国基层政府应急管理",
        "banner_source": "本报告以emstudy统一问卷重建摘要文件{abstract}所对应学位论文的案例（{framework}）。",
        "the_case": "案例概况", "quality": "数据与质量", "reliability": "信度与效度", "structure": "因子结构",
        "profile": "构念得分概况", "priorities": "优先事项与影响因素", "comparison": "与其他地区比较",
        "recommendations": "对策建议", "not_run": "本案例尚未运行{step}步骤，故不作报告。",
        "framework_table": "分析框架维度及其对应的构念", "dimension": "维度", "constructs": "构念",
        "construct": "构念", "mean": "均值", "ci_low": "95%置信下限", "ci_high": "95%置信上限", "n": "样本量",
        "profile_caption": "各构念均值及95%置信区间（1=非常不同意，5=非常同意）", "means_caption": "构念均值",
        "rec_line": "{rank}. 【{dimension}】{text}{thesis}", "thesis_mark": "（原论文亦提出此类建议）",
        "no_priority": "没有构念明显低于本地平均水平。", "problems": "原论文指出的问题：{problems}",
        "sources": "数据来源：{files}",
        "cases": "案例", "shared": "共性问题与个性问题", "invariance": "测量等值性", "case": "案例",
        "framework": "分析框架", "n_valid": "有效问卷", "top": "首要优先事项", "pattern": "类型", "cases_col": "涉及地区",
        "heatmap_caption": "各地构念均值", "profiles_caption": "{n}地构念得分剖面",
        "rel_caption": "各构念信度（alpha及Feldt 95%置信区间，omega总系数）",
        "ipa_caption": "重要性-表现分析图：重要性为各构念对应急管理成效感知的标准化回归系数，表现为其均值（95%置信区间）；"
                       "左上阴影区为“重点改进区”（Martilla & James 1977）",
        "mixed_data": "合成数据案例：{synthetic}。来自问卷文件的案例：{real}。", "list_sep": "、",
        "open": "受访者的原话", "open_caption": "开放题最常见的回答（已去除电话、身份证号、邮箱及所列姓名）",
        "answer": "回答", "share": "占受访者比例",
        "reliability_table_cols": {"construct": "构念", "alpha": "alpha", "alpha_ci_low": "置信下限",
                                   "alpha_ci_high": "置信上限", "omega_total": "omega"},
    },
}


_OPEN_SHOWN = 5
"""How many of the most frequent open answers a case report quotes."""


def _banner(lang: str, synthetic: bool) -> list[str]:
    from emstudy.steps.context import SYNTHETIC_NOTICE

    return [SYNTHETIC_NOTICE[lang]] if synthetic else []


def profile_figure(means: pd.DataFrame, labels: dict[str, str], *, title: str):
    """Horizontal bars of construct means with 95% CIs (matplotlib Figure, no pyplot state)."""
    from matplotlib.figure import Figure

    frame = means.iloc[::-1]
    fig = Figure(figsize=(6.5, 4.2))
    ax = fig.add_subplot()
    y = range(len(frame))
    ax.barh(list(y), frame["mean"], color="#1f77b4", alpha=0.85)
    ax.errorbar(frame["mean"], list(y), xerr=[frame["mean"] - frame["ci_lower"], frame["ci_upper"] - frame["mean"]],
                fmt="none", ecolor="black", capsize=2, linewidth=1)
    ax.set_yticks(list(y), [labels[c] for c in frame["construct"]])
    ax.set_xlim(1, 5)
    ax.axvline(float(means["mean"].mean()), color="#b45309", linestyle="--", linewidth=1)
    ax.set_xlabel("mean (1-5); dashed line: average over constructs")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def case_report(cf, codebook, *, lang: str, figure_path: str | None = None,
                ipa_figure_path: str | None = None) -> Report:
    """The report of one case from its :class:`emstudy.steps.findings.CaseFindings`.

    ``figure_path`` and ``ipa_figure_path`` (relative to ``reports/``) are the construct profile and the
    importance-performance map, shown when given.
    """
    t = _TEXT[lang]
    case = cf.case
    name = case.name.en if lang == "en" else case.name.zh
    framework = case.framework.en if lang == "en" else case.framework.zh
    label = lambda c: codebook.label(c, lang)  # noqa: E731
    banner = _banner(lang, cf.synthetic) + [t["banner_source"].format(abstract=case.source_abstract, framework=framework)]
    by_kind: dict[str, list] = {}
    for f in cf.findings:
        by_kind.setdefault(f.kind, []).append(f)
    text = lambda kind: [f.text(lang) for f in by_kind.get(kind, [])]  # noqa: E731
    sources = lambda kind: sorted({f.source for f in by_kind.get(kind, [])})  # noqa: E731

    dims = pd.DataFrame({t["dimension"]: [d.en if lang == "en" else d.zh for d in case.framework.dimensions],
                         t["constructs"]: [", ".join(label(c) for c in d.constructs) for d in case.framework.dimensions]})
    place = case.place.en if lang == "en" else case.place.zh
    event = case.event.en if lang == "en" else case.event.zh
    problems = (" " if lang == "en" else "").join(p.en if lang == "en" else p.zh for p in case.problems)
    sections = [Section(t["the_case"], paragraphs=[place, event, t["problems"].format(problems=problems)],
                        tables=[Table(t["framework_table"], dims)]),
                Section(t["quality"], paragraphs=text("data"), source=", ".join(sources("data")))]
    if "open" in by_kind:
        counts = cf.tables.get("open_answers")
        open_tables = []
        if counts is not None and len(counts):
            top = counts.head(_OPEN_SHOWN)
            open_tables.append(Table(t["open_caption"], pd.DataFrame(
                {t["answer"]: top["answer"], t["n"]: top["n"], t["share"]: top["share"]}), digits=3))
        sections.append(Section(t["open"], paragraphs=text("open"), tables=open_tables,
                                source=", ".join(sources("open"))))
    rel_paragraphs = text("reliability") or [t["not_run"].format(step="02_reliability")]
    rel_tables = []
    if "reliability" in cf.tables:
        cols = t["reliability_table_cols"]
        frame = cf.tables["reliability"]
        keep = [c for c in cols if c in frame.columns]
        shown = frame[keep].copy()
        if "construct" in shown.columns:
            shown["construct"] = [label(c) if c in codebook.construct_ids or c == codebook.outcome.id else c
                                  for c in shown["construct"]]
        rel_tables.append(Table(t["rel_caption"], shown.rename(columns=cols), digits=3))
    sections.append(Section(t["reliability"], paragraphs=rel_paragraphs, tables=rel_tables,
                            source=", ".join(sources("reliability"))))
    sections.append(Section(t["structure"], paragraphs=text("structure") or [t["not_run"].format(step="03_structure")],
                            source=", ".join(sources("structure"))))
    means = cf.tables["means"]
    shown = pd.DataFrame({t["construct"]: [label(c) for c in means["construct"]], t["mean"]: means["mean"],
                          t["ci_low"]: means["ci_lower"], t["ci_high"]: means["ci_upper"], t["n"]: means["n"]})
    figures = [FigureRef(t["profile_caption"], figure_path)] if figure_path else []
    sections.append(Section(t["profile"], tables=[Table(t["means_caption"], shown)], figures=figures))
    ipa_figures = [FigureRef(t["ipa_caption"], ipa_figure_path)] if ipa_figure_path else []
    sections.append(Section(t["priorities"], paragraphs=(text("priority") or [t["no_priority"]]) + text("drivers"),
                            figures=ipa_figures, source=", ".join(sources("priority") + sources("drivers"))))
    sections.append(Section(t["comparison"], paragraphs=text("comparison") or [t["not_run"].format(step="05_compare")],
                            source=", ".join(sources("comparison"))))
    recs = [t["rec_line"].format(rank=r.rank, dimension=r.dimension_en if lang == "en" else r.dimension_zh,
                                 text=r.en if lang == "en" else r.zh, thesis=t["thesis_mark"] if r.made_by_thesis else "")
            for r in cf.recommendations]
    sections.append(Section(t["recommendations"], paragraphs=recs or [t["no_priority"]],
                            source="data/recommendations.yml"))
    return Report(t["case_title"].format(name=name), lang, banner, sections)


def summary_report(case_findings: Sequence, codebook, *, lang: str, shared: pd.DataFrame,
                   invariance_verdict: str | None, figures: Sequence[tuple[str, str]] = ()) -> Report:
    """The cross-case summary from every case's findings and the comparison results.

    ``figures`` holds (caption key, relative path) pairs, the caption key one of ``heatmap_caption`` or
    ``profiles_caption``.
    """
    t = _TEXT[lang]
    label = lambda c: codebook.label(c, lang)  # noqa: E731
    name_of = lambda cf: cf.case.name.en if lang == "en" else cf.case.name.zh  # noqa: E731
    synthetic = [name_of(cf) for cf in case_findings if cf.synthetic]
    banner = _banner(lang, bool(synthetic))
    if synthetic and len(synthetic) < len(case_findings):  # a user's own case beside the synthetic study
        real = [name_of(cf) for cf in case_findings if not cf.synthetic]
        banner.append(t["mixed_data"].format(synthetic=t["list_sep"].join(synthetic), real=t["list_sep"].join(real)))
    banner += [
        "Each place is reconstructed from its thesis's abstract (see the case reports); the comparison uses "
        "one shared instrument." if lang == "en" else "各地案例依据相应学位论文摘要重建（见各案例报告），比较采用统一问卷。"]
    rows = []
    for cf in case_findings:
        quality = next((f for f in cf.findings if f.kind == "data"), None)
        rows.append({t["case"]: cf.case.name.en if lang == "en" else cf.case.name.zh,
                     t["framework"]: cf.case.framework.en if lang == "en" else cf.case.framework.zh,
                     t["n_valid"]: "" if quality is None else str(quality.values["n_valid"]),
                     t["top"]: ", ".join(label(c) for c in cf.priorities["construct"].head(3))})
    shared_shown = shared.copy()
    shared_shown["construct"] = [label(c) for c in shared_shown["construct"]]
    shared_shown = shared_shown.rename(columns={"construct": t["construct"], "cases": t["cases_col"],
                                                "pattern": t["pattern"]})[[t["construct"], t["cases_col"], t["pattern"]]]
    sections = [Section(t["cases"], tables=[Table(t["cases"], pd.DataFrame(rows))]),
                Section(t["shared"], tables=[Table(t["shared"], shared_shown)],
                        figures=[FigureRef(t[key].format(n=count_word(len(case_findings), lang)), path)
                                 for key, path in figures]),
                Section(t["invariance"], paragraphs=[invariance_verdict or t["not_run"].format(step="05_compare")])]
    for cf in case_findings:
        name = cf.case.name.en if lang == "en" else cf.case.name.zh
        recs = [t["rec_line"].format(rank=r.rank, dimension=r.dimension_en if lang == "en" else r.dimension_zh,
                                     text=r.en if lang == "en" else r.zh, thesis="") for r in cf.recommendations[:3]]
        sections.append(Section(f"{t['recommendations']}: {name}", paragraphs=recs or [t["no_priority"]]))
    title = t["summary_title"].format(n=count_word(len(case_findings), lang))
    return Report(title[:1].upper() + title[1:], lang, banner, sections)
