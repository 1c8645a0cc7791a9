"""The document model of the reports: sections of paragraphs, bullets, tables and figures.

:mod:`emstudy.reporting.render` writes a :class:`Report` as Markdown and as self-contained HTML;
:mod:`emstudy.reporting.pages` builds the study's reports.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

__all__ = ["Table", "FigureRef", "Section", "Report", "report_stem"]


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
