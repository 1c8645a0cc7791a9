"""From a raw response table to numeric item scores, with quality flags.

``encode`` accepts the columns of a survey export under the codebook's item ids or under headers whose text
is a field's (``5.本地应急预案…``, ``Q5 本地应急预案…``); the question number alone never decides
(:mod:`emstudy.survey.matching`).
Cells may hold Chinese or English anchor labels or numeric codes; declared missing codes become missing;
reverse-keyed items are scored ``min + max - code``. Every value that is neither a code on the scale, a label,
nor a missing code is reported with its row and column; nothing is silently dropped.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from emstudy.errors import EmstudyError
from emstudy.survey.cells import distinct_cells
from emstudy.survey.codebook import Codebook
from emstudy.survey.matching import resolve_columns

__all__ = ["EncodingError", "EncodedSurvey", "encode", "decode", "reverse_key", "construct_scores", "resolve_columns"]

_MAX_LISTED = 20


class EncodingError(EmstudyError, ValueError):
    """Values that cannot be encoded. ``problems`` holds one line per offending cell."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        shown = problems[:_MAX_LISTED]
        more = f" (and {len(problems) - len(shown)} more)" if len(problems) > len(shown) else ""
        super().__init__(f"{source}: {len(problems)} value(s) cannot be encoded{more}: " + "; ".join(shown))


@dataclass(frozen=True)
class EncodedSurvey:
    """A survey after encoding.

    Attributes
    ----------
    items : DataFrame
        Likert item scores (float, NaN for missing), reverse-keyed items already reversed; indexed by
        respondent id.
    answers : DataFrame
        The same items as answered (before reverse keying).
    background : DataFrame
        Demographics (codes such as ``gov``/``ent``/``res`` for role), the overall rating (1-5) and the
        duration in seconds when the export has one.
    open_text : Series
        Free-text answers (unscrubbed: pass them through the privacy scrubber before showing them).
    flags : DataFrame
        Boolean quality flags per respondent: ``straightlining``, ``speeding``, ``duplicate`` and ``any``.
    unmapped_columns : tuple of str
        Columns of the raw table that are not fields of the codebook.
    """

    items: pd.DataFrame
    answers: pd.DataFrame
    background: pd.DataFrame
    open_text: pd.Series
    flags: pd.DataFrame
    unmapped_columns: tuple[str, ...] = ()
    source: str = "<data>"
    rules: Mapping[str, str] = field(default_factory=dict)

    def valid(self) -> EncodedSurvey:
        """The respondents with no quality flag."""
        keep = ~self.flags["any"]
        return EncodedSurvey(
            self.items[keep],
            self.answers[keep],
            self.background[keep],
            self.open_text[keep],
            self.flags[keep],
            self.unmapped_columns,
            self.source,
            self.rules,
        )


def _normal(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value).strip().casefold()


def _normal_keys(values: pd.Series) -> pd.Series:
    """``values.map(_normal)``, computed once per distinct cell."""
    codes, distinct = distinct_cells(values)
    keys = np.array([_normal(v) for v in distinct] + [""], dtype=object)[:-1]
    return pd.Series(keys[codes], index=values.index, name=values.name, dtype=object)


def _lookup(anchors: Iterable[object], code_of: Mapping[str, object]) -> dict[str, object]:
    table: dict[str, object] = {}
    for a in anchors:
        code = a.code  # type: ignore[attr-defined]
        for key in (str(code), a.en, a.zh):  # type: ignore[attr-defined]
            table[_normal(key)] = code
    table.update({_normal(k): v for k, v in code_of.items()})
    return table


def _encode_column(
    values: pd.Series,
    table: Mapping[str, object],
    missing: set[str],
    *,
    source: str,
    column: str,
    expected: str,
    ids: pd.Index,
    problems: list[str],
) -> pd.Series:
    codes, distinct = distinct_cells(values)  # each distinct cell is looked up once
    keys = pd.Series([_normal(v) for v in distinct], dtype=object)
    mapped = keys.map(table)
    bad_distinct = (mapped.isna() & ~keys.isin(missing)).to_numpy()
    out = pd.Series(mapped.array.take(codes), index=values.index, name=values.name)
    for pos in np.flatnonzero(bad_distinct[codes]):
        problems.append(
            f"row {pos + 1} (respondent {ids[pos]}), column {column!r}: value {values.iloc[pos]!r} is not {expected}"
        )
    return out


def encode(
    raw: pd.DataFrame,
    codebook: Codebook,
    *,
    source: str = "<data>",
    speeding_fraction: float = 1 / 3,
    straightlining_min_answered: float = 0.8,
) -> EncodedSurvey:
    """Encode a raw response table.

    Parameters
    ----------
    raw : DataFrame
        One row per respondent, as exported (labels or codes). Not modified.
    codebook : Codebook
        The instrument.
    source : str
        Name used in messages (usually the file path).
    speeding_fraction : float
        A respondent is flagged as speeding when the duration is below this fraction of the median duration.
    straightlining_min_answered : float
        Share of Likert items that must be answered before an identical answer to all of them counts as
        straight-lining.

    Returns
    -------
    EncodedSurvey

    Raises
    ------
    EncodingError
        Listing every value outside the scale with its row (1-based data row), respondent and column.
    EmstudyError
        When item columns are missing, or a column's question number and text name different fields, or a
        numbered column matches no field (or one another column holds); the message names the column.

    Examples
    --------
    >>> from emstudy.project import Project
    >>> cb = Project.find().codebook()  # doctest: +SKIP
    >>> enc = encode(pd.read_csv("data/raw/yima.csv", dtype=str, keep_default_na=False), cb)  # doctest: +SKIP
    """
    if not 0 < speeding_fraction < 1:
        raise ValueError(f"speeding_fraction must lie in (0, 1), got {speeding_fraction}")
    found, unmapped = resolve_columns(raw.columns, codebook, source=source, strict=True)
    missing_items = [i for i in codebook.item_ids if i not in found]
    if missing_items:
        raise EmstudyError(
            f"{source}: missing item column(s) {', '.join(missing_items)}; expected headers such as "
            f"{codebook.export_headers[missing_items[0]]!r} or the item id"
        )
    id_col = found.get(codebook.id_column.name)
    ids = _respondent_ids(raw, id_col, source)
    missing = {_normal(m) for m in codebook.missing_codes}
    problems: list[str] = []
    encode_column = functools.partial(_encode_column, missing=missing, source=source, ids=ids, problems=problems)
    answers = _encode_items(raw, codebook, found, encode_column)
    background = _encode_background(raw, codebook, found, encode_column)
    _encode_duration(raw, codebook, found, ids, background, problems)
    if problems:
        raise EncodingError(source, problems)
    open_name = codebook.open_question.id
    open_text = (
        raw[found[open_name]].fillna("").astype(str).set_axis(ids)
        if open_name in found
        else pd.Series("", index=ids, dtype=object)
    )
    open_text.name = open_name
    items = reverse_key(answers, codebook)
    flags = quality_flags(
        answers,
        background,
        codebook,
        speeding_fraction=speeding_fraction,
        straightlining_min_answered=straightlining_min_answered,
        has_id=id_col is not None,
    )
    rules = {
        "straightlining": f"the same answer to every Likert item, with at least {straightlining_min_answered:.0%} answered",
        "speeding": f"duration below {speeding_fraction:.2f} of the median duration",
        "duplicate": "a repeated respondent id, or the same answers and background as an earlier respondent",
    }
    return EncodedSurvey(items, answers, background, open_text, flags, tuple(unmapped), source, rules)


def _respondent_ids(raw: pd.DataFrame, id_col: str | None, source: str) -> pd.Index:
    """Respondent ids from the id column (none may be empty), or 1..n when the export has none."""
    if id_col is None:
        return pd.Index([str(k) for k in range(1, len(raw) + 1)], name="respondent_id")
    ids = pd.Index(raw[id_col].map(lambda v: _normal(v) or None), name="respondent_id")
    if ids.isna().any():
        pos = int(np.flatnonzero(ids.isna())[0])
        raise EmstudyError(f"{source}: row {pos + 1}, column {id_col!r}: respondent id is empty")
    return ids


def _encode_items(raw: pd.DataFrame, codebook: Codebook, found: dict, encode_column) -> pd.DataFrame:
    """The Likert items as codes (labels or codes in the export; problems collected, not raised)."""
    lo, hi = codebook.scale.min, codebook.scale.max
    likert = _lookup(codebook.scale.anchors, {})
    last = codebook.scale.anchors[-1]
    expected = f"a code {lo}-{hi} or an anchor label such as {last.zh!r}/{last.en!r}"
    # one column-major block filled in place: the frame's own layout, without a consolidating copy
    block = np.empty((len(raw), len(codebook.item_ids)), dtype=float, order="F")
    for j, item in enumerate(codebook.item_ids):
        column = encode_column(raw[found[item]], likert, column=found[item], expected=expected)
        block[:, j] = column.to_numpy(dtype=float)
    return pd.DataFrame(block, index=encode_column.keywords["ids"], columns=list(codebook.item_ids), copy=False)


def _encode_background(raw: pd.DataFrame, codebook: Codebook, found: dict, encode_column) -> pd.DataFrame:
    """Demographics (as their level codes) and the overall rating."""
    background = pd.DataFrame(index=encode_column.keywords["ids"])
    for demo in codebook.demographics:
        if demo.id in found:
            table = {_normal(k): lvl.code for lvl in demo.levels for k in (lvl.code, lvl.en, lvl.zh)}
            labels = ", ".join(repr(lvl.zh) for lvl in demo.levels)
            col = encode_column(raw[found[demo.id]], table, column=found[demo.id], expected=f"one of {labels}")
            background[demo.id] = col.to_numpy(dtype=object)
    if codebook.overall.id in found:
        table = _lookup(codebook.overall.anchors, {})
        column = found[codebook.overall.id]
        col = encode_column(raw[column], table, column=column, expected="an overall rating 1-5 or its label")
        background[codebook.overall.id] = col.to_numpy(dtype=float)
    return background


def _encode_duration(
    raw: pd.DataFrame, codebook: Codebook, found: dict, ids: pd.Index, background: pd.DataFrame, problems: list[str]
) -> None:
    """The completion time in seconds into ``background``; text or negative values are problems."""
    duration_name = codebook.duration_column.name
    if duration_name not in found:
        return
    raw_dur = _normal_keys(raw[found[duration_name]])
    numeric = pd.to_numeric(raw_dur.replace("", np.nan), errors="coerce")
    for pos in np.flatnonzero((numeric.isna() & (raw_dur != "")).to_numpy() | (numeric < 0).to_numpy()):
        problems.append(
            f"row {pos + 1} (respondent {ids[pos]}), column {found[duration_name]!r}: value "
            f"{raw[found[duration_name]].iloc[pos]!r} is not a duration in seconds"
        )
    background[duration_name] = numeric.to_numpy(dtype=float)


def reverse_key(answers: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Score reverse-keyed items as ``min + max - code``; applying it twice gives the answers back."""
    out = answers.copy(deep=False)  # copy-on-write: only the reversed columns get new memory
    total = codebook.scale.min + codebook.scale.max
    for item in codebook.reverse_items:
        if item in out.columns:
            out[item] = total - out[item]
    return out


def quality_flags(
    answers: pd.DataFrame,
    background: pd.DataFrame,
    codebook: Codebook,
    *,
    speeding_fraction: float,
    straightlining_min_answered: float,
    has_id: bool,
) -> pd.DataFrame:
    """Straight-lining, speeding and duplicate flags (see ``encode``)."""
    values = answers.to_numpy(dtype=float)
    answered = values.shape[1] - np.isnan(values).sum(axis=1)
    with np.errstate(invalid="ignore"):  # fmax/fmin skip missing answers; all missing gives NaN, never 0
        spread = np.fmax.reduce(values, axis=1) - np.fmin.reduce(values, axis=1)
    straight = (answered >= straightlining_min_answered * values.shape[1]) & (spread == 0)
    duration_name = codebook.duration_column.name
    if duration_name in background.columns:
        dur = background[duration_name].to_numpy(dtype=float)
        median = np.nanmedian(dur) if np.isfinite(dur).any() else np.nan
        speeding = np.nan_to_num(dur, nan=np.inf) < speeding_fraction * median
    else:
        speeding = np.zeros(len(answers), dtype=bool)
    dup_id = answers.index.duplicated(keep="first") if has_id else np.zeros(len(answers), dtype=bool)
    dup_content = _duplicated_rows(values, background.drop(columns=[duration_name], errors="ignore"))
    flags = pd.DataFrame(
        {"straightlining": straight, "speeding": speeding, "duplicate": dup_id | dup_content}, index=answers.index
    )
    flags["any"] = flags.any(axis=1)
    return flags


def _duplicated_rows(values: np.ndarray, background: pd.DataFrame) -> np.ndarray:
    """``DataFrame.duplicated(keep="first")`` of the answers beside the background, from a compact key per row.

    Answers that are small whole numbers take one byte each (missing: 255) and background columns their
    factorized codes (missing equal to missing, as in pandas), so a million rows need no table of int64 codes.
    """
    n = len(values)
    key = np.empty((n, values.shape[1] + 4 * background.shape[1]), dtype=np.uint8)
    for j in range(values.shape[1]):
        column = values[:, j]
        missing = np.isnan(column)
        filled = np.where(missing, 0.0, column)
        if not ((filled >= 0) & (filled <= 127) & (filled == np.floor(filled))).all():
            frame = pd.concat([pd.DataFrame(values), background.reset_index(drop=True)], axis=1, ignore_index=True)
            return frame.duplicated(keep="first").to_numpy()
        key[:, j] = np.where(missing, 255, filled).astype(np.uint8)
    for k in range(background.shape[1]):
        codes, _ = pd.factorize(background.iloc[:, k])
        at = values.shape[1] + 4 * k
        key[:, at : at + 4] = np.asarray(codes, dtype="<i4").view(np.uint8).reshape(n, 4)
    rows = np.ascontiguousarray(key).view(np.dtype((np.void, key.shape[1]))).ravel()
    _, first = np.unique(rows, return_index=True)
    duplicated = np.ones(n, dtype=bool)
    duplicated[first] = False
    return duplicated


def construct_scores(items: pd.DataFrame, codebook: Codebook, *, min_answered: float = 0.75) -> pd.DataFrame:
    """Mean item score per construct (core and outcome) for respondents who answered enough items.

    A score is missing when fewer than ``min_answered`` of the construct's items were answered (for four
    items: at least three).
    """
    out = {}
    for construct, cols in codebook.scales().items():
        block = items[cols]
        enough = block.notna().sum(axis=1) >= math.ceil(min_answered * len(cols) - 1e-9)
        out[construct] = block.mean(axis=1).where(enough)
    return pd.DataFrame(out, index=items.index)


def decode(answers: pd.DataFrame, codebook: Codebook, *, lang: str = "zh") -> pd.DataFrame:
    """Turn item codes (as answered) into anchor labels; missing codes become empty strings."""
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    labels = {a.code: getattr(a, lang) for a in codebook.scale.anchors}
    out = {}
    for col in answers.columns:
        out[col] = [labels[int(v)] if v == v and v is not None else "" for v in answers[col]]
    return pd.DataFrame(out, index=answers.index)
