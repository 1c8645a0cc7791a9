"""Free-text answers: scrubbed before anything shows them, then counted and written for the reports.

Notebook 01 (:mod:`emstudy.steps.data_quality`) calls :func:`open_answers` (every answer through
:mod:`emstudy.survey.privacy`, with the names listed in the git-ignored ``data/private/<case>.names.txt``
and, for case files written before that file existed, under the case file's ``scrub_names``), shows
:func:`answer_counts` and writes both after :func:`check_no_personal_data`. Later steps read
``open_answer_counts.csv``; none of them goes back to the raw file's free text.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from emstudy.errors import EmstudyError

__all__ = ["open_answers", "answer_counts", "check_no_personal_data"]


def open_answers(ctx, names: Sequence[str] = (), *, valid_only: bool = True) -> pd.DataFrame:
    """Free-text answers passed through the privacy scrubber, ready to show in a notebook or a report.

    Parameters
    ----------
    ctx : emstudy.steps.context.CaseContext
        From :func:`emstudy.steps.context.open_case`.
    names : sequence of str
        Person names to scrub besides those of ``data/private/<case>.names.txt`` (and the case file's
        ``scrub_names``, read for older case files) and the scrubber's own patterns.
    valid_only : bool
        Only the respondents kept for analysis (default).

    Returns
    -------
    DataFrame
        Indexed by respondent id, one column per open question (``suggestion``), scrubbed, non-empty
        answers only, surrounding white space removed.
    """
    from emstudy.survey.privacy import names_file, read_names_file, scrub_frame

    survey = ctx.survey.valid() if valid_only else ctx.survey
    text = survey.open_text.fillna("").astype(str).str.strip()
    frame = text[text != ""].to_frame()
    private = read_names_file(names_file(ctx.project.root, ctx.case.id))
    listed = tuple(dict.fromkeys([*private, *ctx.case.scrub_names, *names]))
    return scrub_frame(frame, columns=[text.name], names=listed)


def answer_counts(answers: pd.DataFrame, *, n_respondents: int, column: str | None = None) -> pd.DataFrame:
    """How often each (scrubbed) answer was given, most frequent first.

    Parameters
    ----------
    answers : DataFrame
        From :func:`open_answers`.
    n_respondents : int
        Respondents who could have answered (the denominator of ``share``).
    column : str, optional
        The open question; default the only column of ``answers``.

    Returns
    -------
    DataFrame
        Columns ``answer``, ``n``, ``share`` (of ``n_respondents``); ties in ``n`` in order of the answer text.

    Examples
    --------
    >>> a = pd.DataFrame({"suggestion": ["more drills", "more drills", "better plans"]})
    >>> answer_counts(a, n_respondents=10)
             answer  n  share
    0   more drills  2    0.2
    1  better plans  1    0.1
    """
    if column is None:
        if answers.shape[1] != 1:
            raise ValueError(f"column: answers has {answers.shape[1]} columns {list(answers.columns)}; name one")
        column = answers.columns[0]
    elif column not in answers.columns:
        raise ValueError(f"column: {column!r} is not a column of answers; expected one of {list(answers.columns)}")
    if isinstance(n_respondents, bool) or not isinstance(n_respondents, int) or n_respondents < len(answers):
        raise ValueError(f"n_respondents must be an integer >= the {len(answers)} answers, got {n_respondents!r}")
    counts = answers[column].value_counts()
    frame = pd.DataFrame({"answer": counts.index.astype(str), "n": counts.to_numpy(dtype=int)})
    frame = frame.sort_values(["n", "answer"], ascending=[False, True], kind="mergesort").reset_index(drop=True)
    frame["share"] = frame["n"] / n_respondents if n_respondents else float("nan")
    return frame


def check_no_personal_data(frame: pd.DataFrame, *, name: str) -> None:
    """Refuse a table whose text columns still hold a phone number, ID number or e-mail address.

    The last guard before open answers are written: :func:`emstudy.survey.privacy.find_personal_data` finds
    none in answers that came from :func:`open_answers`.

    Raises
    ------
    EmstudyError
        Naming the table (``name``) and the kinds of personal data found.
    """
    from emstudy.survey.privacy import find_personal_data

    text_columns = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    found = [hit for c in text_columns for value in frame[c].dropna().astype(str) for hit in find_personal_data(value)]
    if found:
        kinds = sorted({kind for kind, _span in found})
        raise EmstudyError(
            f"{name}: personal data ({', '.join(kinds)}) left in free text; "
            "pass the answers through emstudy.survey.open_text.open_answers before writing"
        )
