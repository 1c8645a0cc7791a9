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

__all__ = ["Table", "FigureRef", "Section", "Report", "render_markdown", "render_html", "write_report",
           "save_figure", "report_stem"]

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
    cells = lambda row: "| " + " | ".join(str(v).replace("|", "\\|") for v in row) + " |"  # noqa: E731
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


def save_figure(fig, path: str | Path, *, dpi: int = 100) -> Path:
    """Save a matplotlib Figure as PNG with no timestamp or software metadata (byte-stable), atomically."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None}, bbox_inches="tight")
    return atomic_write_bytes(path, buffer.getvalue())
