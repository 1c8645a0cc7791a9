"""Notebook 01: data quality of one case -- flags, missingness, answer distributions and the open answers.

:func:`run` gathers what :mod:`emstudy.survey.quality` and :mod:`emstudy.survey.open_text` compute for an
opened case; :func:`write_results` writes ``data_quality.json``, ``missing_by_item.csv``, ``encoded.csv``
(the respondents kept, which later notebooks read through :func:`emstudy.steps.context.load_encoded`),
``open_answers.csv`` and ``open_answer_counts.csv``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from emstudy.fileio import write_csv, write_json
from emstudy.steps import files
from emstudy.steps.context import CaseContext
from emstudy.survey.open_text import answer_counts, check_no_personal_data, open_answers
from emstudy.survey.quality import answer_distribution, missing_by_item, quality_summary

__all__ = ["DataQualityResults", "run", "write_results"]


@dataclass(frozen=True)
class DataQualityResults:
    """Data quality of one case.

    Attributes
    ----------
    summary : dict
        :func:`emstudy.survey.quality.quality_summary` with the case id and whether the data are synthetic.
    missing : DataFrame
        Share of missing answers per item (:func:`emstudy.survey.quality.missing_by_item`).
    distribution : DataFrame
        Share of each answer code per item (:func:`emstudy.survey.quality.answer_distribution`).
    encoded : DataFrame
        Background and reverse-keyed item scores of the respondents kept for analysis.
    open_answers, open_counts : DataFrame
        Scrubbed open answers and how often each was given.
    """

    summary: dict
    missing: pd.DataFrame
    distribution: pd.DataFrame
    encoded: pd.DataFrame
    open_answers: pd.DataFrame
    open_counts: pd.DataFrame


def run(ctx: CaseContext) -> DataQualityResults:
    """Data quality of an opened case (:func:`emstudy.steps.context.open_case`)."""
    if not isinstance(ctx, CaseContext):
        raise TypeError(f"ctx: expected the CaseContext of emstudy.steps.context.open_case, got {type(ctx).__name__}")
    summary = quality_summary(ctx.survey)
    summary.update({"case": ctx.case.id, "synthetic": ctx.synthetic})
    valid = ctx.survey.valid()
    answers = open_answers(ctx)
    return DataQualityResults(
        summary=summary,
        missing=missing_by_item(ctx.survey, ctx.codebook),
        distribution=answer_distribution(ctx.survey, ctx.codebook),
        encoded=pd.concat([valid.background, valid.items], axis=1),
        open_answers=answers,
        open_counts=answer_counts(answers, n_respondents=summary["n_valid"]),
    )


def write_results(results: DataQualityResults, results_dir: str | Path) -> list[Path]:
    """Write the results of :func:`run` into ``results_dir`` atomically.

    As a last guard, refuses to write the open answers when
    :func:`emstudy.survey.open_text.check_no_personal_data` still finds a phone, ID or e-mail in them.
    """
    if not isinstance(results, DataQualityResults):
        raise TypeError(
            f"results: expected the DataQualityResults of emstudy.steps.data_quality.run, got {type(results).__name__}"
        )
    check_no_personal_data(results.open_answers, name=files.OPEN_ANSWERS)
    check_no_personal_data(results.open_counts, name=files.OPEN_ANSWER_COUNTS)
    d = Path(results_dir)
    return [
        write_json(d / files.DATA_QUALITY, results.summary),
        write_csv(d / files.MISSING_BY_ITEM, results.missing),
        write_csv(d / files.ENCODED, results.encoded, float_format="%g"),
        write_csv(d / files.OPEN_ANSWERS, results.open_answers),
        write_csv(d / files.OPEN_ANSWER_COUNTS, results.open_counts, index=False, float_format="%.4f"),
    ]
