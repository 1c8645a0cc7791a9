"""Renderers of the document model (:mod:`emstudy.reporting.document`): Markdown and self-contained HTML.

The HTML needs no network: styles are inline, there are no scripts or remote fonts, and figures are PNG
files under ``reports/figures/`` referenced by relative paths (see :mod:`emstudy.reporting.figures` for
byte-stable figures).
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from emstudy.fileio import atomic_write_text
from emstudy.reporting.document import Report, Table, report_stem

__all__ = ["render_markdown", "render_html", "write_report"]

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
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return (
        f"<table><caption>{html.escape(table.caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


def render_html(report: Report) -> str:
    """The report as one self-contained HTML page (inline CSS, no scripts, no remote resources)."""
    lang = "zh-CN" if report.lang == "zh" else "en"
    out = [
        "<!DOCTYPE html>",
        f'<html lang="{lang}">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(report.title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{html.escape(report.title)}</h1>",
        '<div class="banner" role="note">' + "<br>".join(html.escape(b) for b in report.banner) + "</div>",
    ]
    for section in report.sections:
        out.append(f"<section><h2>{html.escape(section.heading)}</h2>")
        out += [f"<p>{html.escape(p)}</p>" for p in section.paragraphs]
        if section.bullets:
            out.append("<ul>" + "".join(f"<li>{html.escape(b)}</li>" for b in section.bullets) + "</ul>")
        out += [_html_table(t) for t in section.tables]
        out += [
            f'<figure><img src="{html.escape(f.path)}" alt="{html.escape(f.caption)}">'
            f"<figcaption>{html.escape(f.caption)}</figcaption></figure>"
            for f in section.figures
        ]
        if section.source:
            out.append(f'<p class="source">{html.escape(section.source)}</p>')
        out.append("</section>")
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


def write_report(report: Report, reports_dir: str | Path, name: str) -> list[Path]:
    """Write ``<name>[.zh].md`` and ``.html`` atomically; returns the paths."""
    stem = report_stem(name, report.lang)
    reports_dir = Path(reports_dir)
    return [
        atomic_write_text(reports_dir / f"{stem}.md", render_markdown(report)),
        atomic_write_text(reports_dir / f"{stem}.html", render_html(report)),
    ]
