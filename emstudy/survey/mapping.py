"""Column mappings: from a survey's own columns and answer labels to the codebook's fields and codes.

A mapping lives in ``data/mappings/<case>.yml`` (or anywhere, for ``emstudy validate FILE --mapping M``)::

    columns:                       # survey column -> codebook field (item id, demographic, overall, suggestion)
      "Q7 您认为预案是否完善": PLN1
      "身份": role
    labels:                        # answer label -> code, for every mapped item and the overall rating
      非常符合: 5
      比较符合: 4
    item_labels:                   # per field, consulted before `labels` (demographics map to level codes)
      role: {公务员: gov, 企业职工: ent, 群众: res}
    respondent_id: 答卷编号
    duration: {column: 所用时间, unit: auto}   # '120秒', '2分30秒', plain numbers in seconds (unit: min for minutes)
    reverse_already_applied: false  # true when the survey already scored reverse-keyed items as 6 - answer
    ignore: [提交答卷时间, 来源IP]   # columns that are expected and not part of the codebook

:func:`apply_mapping` renames the columns to the codebook's field ids and replaces labels by codes, so
:func:`emstudy.survey.encode.encode` reads the result as it reads a survey that follows the codebook. It never
drops a value silently: labels it cannot place and codes off the scale are listed in the returned
:class:`MappingReport` with their column, count and first row.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from emstudy.errors import EmstudyError
from emstudy.survey.cells import compact_column, distinct_cells
from emstudy.survey.codebook import Codebook
from emstudy.survey.readers import DURATION_COLUMNS, parse_duration_seconds
from emstudy.survey.schema import StrictModel, load_yaml_model

__all__ = [
    "ColumnMapping",
    "DurationSpec",
    "MappingReport",
    "LabelProblem",
    "SurveyReport",
    "load_mapping",
    "apply_mapping",
    "validate_survey",
    "prepare_cells",
    "mapping_template",
]


class DurationSpec(StrictModel):
    """Where the time taken is and how plain numbers are meant (``auto`` and ``s``: seconds)."""

    column: str = Field(min_length=1)
    unit: Literal["auto", "s", "min"] = "auto"


class ColumnMapping(StrictModel):
    """A validated mapping file (see the module docstring)."""

    columns: dict[str, str] = Field(default_factory=dict)
    labels: dict[str, int | str] = Field(default_factory=dict)
    item_labels: dict[str, dict[str, int | str]] = Field(default_factory=dict)
    respondent_id: str | None = None
    duration: DurationSpec | None = None
    reverse_already_applied: bool = False
    ignore: tuple[str, ...] = ()

    def check_against(self, codebook: Codebook, *, path: str | Path = "") -> None:
        """Raise EmstudyError if the mapping names a field the codebook does not have, or maps one twice."""
        where = f"{path}: " if path else "mapping: "
        fields = _fields(codebook)
        seen: dict[str, str] = {}
        for column, name in self.columns.items():
            if name not in fields:
                raise EmstudyError(
                    f"{where}columns.{column}: unknown field {name!r}; expected an item id "
                    f"(e.g. PLN1), a demographic ({', '.join(d.id for d in codebook.demographics)}), "
                    f"{codebook.overall.id!r} or {codebook.open_question.id!r}"
                )
            if name in seen:
                raise EmstudyError(f"{where}columns.{column}: field {name!r} is already mapped from {seen[name]!r}")
            seen[name] = column
        for name in self.item_labels:
            if name not in fields:
                raise EmstudyError(f"{where}item_labels.{name}: unknown field {name!r}")


def _fields(codebook: Codebook) -> set[str]:
    return {*codebook.item_ids, *(d.id for d in codebook.demographics), codebook.overall.id, codebook.open_question.id}


def load_mapping(path: str | Path, codebook: Codebook | None = None) -> ColumnMapping:
    """Load and validate a mapping YAML file; with a codebook, also check the fields it names.

    Raises
    ------
    EmstudyError
        Missing file, YAML syntax error (line and column) or a key that breaks the schema (its key path).
    """
    mapping = load_yaml_model(path, ColumnMapping)
    if codebook is not None:
        mapping.check_against(codebook, path=path)
    return mapping


@dataclass(frozen=True)
class LabelProblem:
    """Answers in one column that cannot be placed: ``kind`` is ``unmapped label`` or ``out of range``."""

    column: str
    field: str
    value: str
    count: int
    first_row: int
    kind: str
    first_respondent: str = ""

    def line(self) -> str:
        who = f" (respondent {self.first_respondent})" if self.first_respondent else ""
        what = (
            "not a code or label of the codebook and not in the mapping's labels"
            if self.kind == "unmapped label"
            else "off the scale"
        )
        return (
            f"row {self.first_row}{who}, column {self.column!r}: value {self.value!r} is {what} "
            f"(field {self.field}; {self.count} cell(s))"
        )


@dataclass(frozen=True)
class MappingReport:
    """What :func:`apply_mapping` found."""

    unmapped_columns: tuple[str, ...] = ()
    missing_columns: tuple[str, ...] = ()
    problems: tuple[LabelProblem, ...] = ()
    duration_problems: tuple[str, ...] = ()
    renamed: dict[str, str] = field(default_factory=dict)
    column_problems: tuple[str, ...] = ()  # numbered columns that match no field, several, or one already held

    @property
    def unmapped_labels(self) -> list[LabelProblem]:
        return [p for p in self.problems if p.kind == "unmapped label"]

    @property
    def out_of_range(self) -> list[LabelProblem]:
        return [p for p in self.problems if p.kind == "out of range"]


def prepare_cells(raw: pd.DataFrame) -> pd.DataFrame:
    """Cells as :func:`~emstudy.survey.encode.encode` expects them: objects, missing cells as empty strings.

    ``read_survey`` gives CSV columns pandas' string dtype with missing cells as ``NA``; numbers from XLSX and
    SPSS/Stata files stay numbers.
    Long columns of a few repeated strings are kept as categoricals
    (:func:`~emstudy.survey.cells.compact_column`): the same cells at one byte each.
    """
    columns = {j: _prepared(raw.iloc[:, j]) for j in range(raw.shape[1])}
    return pd.DataFrame(columns, index=raw.index).set_axis(raw.columns, axis=1)


def _prepared(column: pd.Series) -> pd.Series:
    """One column for :func:`prepare_cells`; a categorical of strings stays one (missing cells become ``""``)."""
    if isinstance(column.dtype, pd.CategoricalDtype) and len(column) > 64:
        cat = column.array.remove_unused_categories()
        categories = cat.categories
        if pd.api.types.infer_dtype(categories, skipna=True) == "string" and categories.dtype == object:
            codes = np.asarray(cat.codes)
            if (codes < 0).any():
                if "" not in categories:
                    categories = categories.append(pd.Index([""], dtype=object))
                codes = np.where(codes < 0, categories.get_loc(""), codes)
            return pd.Series(pd.Categorical.from_codes(codes, categories=categories), index=column.index, copy=False)
    return compact_column(column.to_numpy(dtype=object, na_value=""), index=column.index)


def _norm(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value).strip().casefold()


def _known_answers(codebook: Codebook, name: str) -> tuple[dict[str, object], bool]:
    """Keys ``encode`` understands for a field (codes and codebook labels), and whether the field is a scale."""
    if name in codebook.item_ids:
        anchors, scale = codebook.scale.anchors, True
    elif name == codebook.overall.id:
        anchors, scale = codebook.overall.anchors, True
    else:
        demo = next(d for d in codebook.demographics if d.id == name)
        return {_norm(k): lvl.code for lvl in demo.levels for k in (lvl.code, lvl.en, lvl.zh)}, False
    return {_norm(k): a.code for a in anchors for k in (a.code, a.en, a.zh)}, scale


def apply_mapping(
    raw: pd.DataFrame, mapping: ColumnMapping, codebook: Codebook, *, source: str = "<data>"
) -> tuple[pd.DataFrame, MappingReport]:
    """Rename a survey's columns to the codebook's fields and its labels to codes.

    Parameters
    ----------
    raw : DataFrame
        Cells as read by :func:`emstudy.survey.readers.read_survey` (not modified).
    mapping : ColumnMapping
        The mapping; an empty ``ColumnMapping()`` leaves columns and labels as they are (a survey that
        already follows the codebook) but still converts a duration column such as ``所用时间`` (``120秒``).
    codebook : Codebook
        The instrument.
    source : str
        Name used in messages.

    Returns
    -------
    (DataFrame, MappingReport)
        The renamed table (mapped fields under their ids, unmapped columns kept under their own names, so
        ``encode`` resolves what follows the codebook already) and the report: columns neither mapped nor
        understood by the encoder, labels not in the mapping and codes off the scale (each with its count
        and first 1-based data row), and cells of the duration column that are not durations.

    Raises
    ------
    EmstudyError
        When a column the mapping names is not in the survey.
    """
    from emstudy.survey.matching import match_columns

    cells = prepare_cells(raw)
    _check_named_columns(cells, mapping, source)
    rename = dict(mapping.columns)
    if mapping.respondent_id is not None:
        rename[mapping.respondent_id] = codebook.id_column.name
    duration_name = codebook.duration_column.name
    duration_col, duration_problems = _convert_duration(cells, mapping, codebook)
    if duration_col is not None:
        rename[duration_col] = duration_name
    # ignored columns are dropped: they are expected and not part of the codebook
    out = cells.drop(columns=[c for c in mapping.ignore if c in cells.columns]).rename(columns=rename)
    match = match_columns(out.columns, codebook, source=source, explicit={v: k for k, v in rename.items()})
    found, unmapped = match.found, match.unmapped
    extra = {codebook.id_column.name, duration_name}
    ignored = set(mapping.ignore)
    unmapped_columns = tuple(c for c in unmapped if c not in ignored and c not in extra)
    missing = tuple(i for i in codebook.item_ids if i not in found)
    problems = _map_labels(out, found, rename, mapping, codebook)
    report = MappingReport(unmapped_columns, missing, tuple(problems), tuple(duration_problems), rename, match.problems)
    return out, report


def _check_named_columns(cells: pd.DataFrame, mapping: ColumnMapping, source: str) -> None:
    """Every column the mapping names must be in the survey."""
    absent = [
        c
        for c in (*mapping.columns, mapping.respondent_id, mapping.duration.column if mapping.duration else None)
        if c is not None and c not in cells.columns
    ]
    if absent:
        raise EmstudyError(
            f"{source}: column {absent[0]!r} named in the mapping is not in the survey; "
            f"its columns are {', '.join(map(repr, list(cells.columns)[:8]))}"
            f"{' ...' if len(cells.columns) > 8 else ''}"
        )


def _convert_duration(cells: pd.DataFrame, mapping: ColumnMapping, codebook: Codebook) -> tuple[str | None, list[str]]:
    """Convert the duration column (the mapping's, or one named as platforms do) to seconds, in place.

    Returns the column converted (None when there is none to convert) and the cells that are not durations
    (kept as they were: the encoder reports them with their row and column).
    """
    duration_col = mapping.duration.column if mapping.duration else None
    unit = mapping.duration.unit if mapping.duration else "auto"
    if (
        duration_col is None
        and codebook.duration_column.header not in cells.columns
        and codebook.duration_column.name not in cells.columns
    ):
        duration_col = next((c for c in cells.columns if str(c).strip() in DURATION_COLUMNS), None)
    duration_problems: list[str] = []
    if duration_col is None:
        return None, duration_problems
    factor = 60.0 if unit == "min" else 1.0
    values = cells[duration_col]
    codes, distinct = distinct_cells(values)  # each distinct cell is parsed once
    seconds = np.empty(len(distinct), dtype=object)
    failed = np.zeros(len(distinct), dtype=bool)
    for k, value in enumerate(distinct):
        try:
            plain = isinstance(value, (int, float, np.integer, np.floating)) or _is_number(value)
            secs = parse_duration_seconds(value)
            seconds[k] = secs * factor if plain else secs
        except EmstudyError:
            failed[k] = True
            seconds[k] = value  # kept as it was: the encoder reports it with its row and column
    for pos in np.flatnonzero(failed[codes]):
        try:
            parse_duration_seconds(values.iloc[pos], where=f"row {pos + 1}, column {duration_col!r}")
        except EmstudyError as exc:
            duration_problems.append(str(exc))
    shown = [
        s if not isinstance(s, float) else ("" if math.isnan(s) else (int(s) if s.is_integer() else s)) for s in seconds
    ]
    cells[duration_col] = np.asarray(shown + [None], dtype=object)[:-1][codes].tolist()
    return duration_col, duration_problems


def _map_labels(
    out: pd.DataFrame, found: dict[str, str], rename: dict[str, str], mapping: ColumnMapping, codebook: Codebook
) -> list[LabelProblem]:
    """Replace the mapping's labels by codes in every answer column of ``out`` (in place), reverse-keying
    when the survey already reversed them; returns the labels and codes it could not place, by first row."""
    missing_codes = {_norm(m) for m in codebook.missing_codes}
    problems: list[LabelProblem] = []
    reverse = set(codebook.reverse_items) if mapping.reverse_already_applied else set()
    id_col = found.get(codebook.id_column.name)

    def respondent(row: int) -> str:
        return _norm(out[id_col].iloc[row - 1]) if id_col is not None else str(row)

    for name, column in found.items():
        if name in (codebook.id_column.name, codebook.duration_column.name, codebook.open_question.id):
            continue
        known, scale = _known_answers(codebook, name)
        own = (
            {_norm(k): v for k, v in {**mapping.labels, **mapping.item_labels.get(name, {})}.items()}
            if scale
            else {_norm(k): v for k, v in mapping.item_labels.get(name, {}).items()}
        )
        values = out[column]
        new, bad = _map_column(
            values,
            known,
            own,
            missing_codes,
            scale=scale,
            reverse=name in reverse,
            bounds=(codebook.scale.min, codebook.scale.max),
        )
        out[column] = compact_column(new, index=values.index)
        mapped_from = next((k for k, v in rename.items() if v == column), column)
        for (value, kind), rows in bad.items():
            problems.append(LabelProblem(mapped_from, name, value, len(rows), rows[0], kind, respondent(rows[0])))
    problems.sort(key=lambda p: (p.first_row, p.column))
    return problems


def _map_column(
    values: pd.Series,
    known: dict[str, object],
    own: dict[str, object],
    missing_codes: set[str],
    *,
    scale: bool,
    reverse: bool,
    bounds: tuple[int, int],
) -> tuple[list[object], dict[tuple[str, str], list[int]]]:
    """One column's cells mapped to codes, and the cells that could not be (by value and kind: 1-based rows).

    Each distinct cell is looked up once (:func:`~emstudy.survey.cells.distinct_cells`)."""
    lo, hi = bounds
    codes, distinct = distinct_cells(values)
    mapped = np.empty(len(distinct) + 1, dtype=object)  # one spare slot keeps numpy from unpacking sequences
    failed: dict[int, tuple[str, str]] = {}
    for k, value in enumerate(distinct):
        key = _norm(value)
        if key in own:
            code = own[key]
        elif key in known or key in missing_codes:
            code = value
        else:
            failed[k] = (str(value), "out of range" if (scale and _is_number(key)) else "unmapped label")
            mapped[k] = value
            continue
        if reverse and _is_number(_norm(code)) and lo <= float(_norm(code)) <= hi:
            code = lo + hi - int(float(_norm(code)))
        mapped[k] = code
    bad: dict[tuple[str, str], list[int]] = {}
    if failed:
        for pos in np.flatnonzero(np.isin(codes, list(failed))):
            bad.setdefault(failed[int(codes[pos])], []).append(int(pos) + 1)
    return mapped[codes], bad


def _is_number(text: object) -> bool:
    try:
        return math.isfinite(float(str(text)))
    except ValueError:
        return False


def mapping_template(codebook: Codebook) -> str:
    """The text of a new mapping file: every key documented, nothing mapped yet (a survey that already
    follows the codebook's export headers needs no entries)."""
    first = codebook.item_ids[0]
    anchors = "\n".join(f"#   {a.zh}: {a.code}" for a in codebook.scale.anchors)
    return f"""# Column mapping: from this survey's own columns and answer labels to the codebook
# (data/codebooks/{codebook.id}.yml). A survey whose headers follow the codebook's export
# ({codebook.export_headers[first]!r}, or the item id {first!r}) and whose answers use the codebook's
# labels or codes needs no entries. `emstudy validate FILE --mapping THIS_FILE` lists what is left.
#
# columns: survey column -> item id (PLN1 ... EFF4), demographic (role, gender, age, education),
#          {codebook.overall.id} or {codebook.open_question.id}, e.g.
#   "Q7 您认为预案是否完善": {first}
# labels: answer label -> code (1-5) for every Likert item and the overall rating; the codebook's own are
{anchors}
# item_labels: per field, consulted first, e.g. role: {{公务员: gov, 企业职工: ent, 群众: res}}
# respondent_id: the column with the respondent's id (e.g. 答卷编号)
# duration: {{column: 所用时间, unit: auto}}   # '120秒', '2分30秒', '00:02:30'; plain numbers in seconds
# reverse_already_applied: true if the survey already scored reverse-keyed items as 6 - answer
# ignore: columns that are expected and not part of the codebook (e.g. 提交答卷时间)
columns: {{}}
labels: {{}}
item_labels: {{}}
respondent_id: null
duration: null
reverse_already_applied: false
ignore: []
"""


@dataclass(frozen=True)
class SurveyReport:
    """The quality report of ``emstudy validate``.

    Attributes
    ----------
    lines : tuple of str
        The report, one finding per line.
    blocking : tuple of str
        One-line descriptions of what blocks the analysis (empty when the survey can be analysed).
    """

    source: str
    lines: tuple[str, ...]
    blocking: tuple[str, ...]

    def text(self) -> str:
        return "\n".join(self.lines)


def validate_survey(
    raw: pd.DataFrame, mapping: ColumnMapping, codebook: Codebook, *, source: str = "<data>"
) -> SurveyReport:
    """Map and encode a survey and report everything that matters before an analysis.

    Reports unmapped columns, labels not in the mapping, codes off the scale, bad durations, missing item
    columns, missingness per item, straight-liners, speeders, duplicate submissions and duplicate
    respondent ids. Blocking: missing item columns, unmapped labels, out-of-range codes, cells the encoder
    rejects, and duplicate respondent ids (an id must identify one respondent). Flagged respondents are not
    blocking: they are excluded from the analysis.
    """
    from emstudy.survey.encode import EncodingError, encode
    from emstudy.survey.matching import resolve_columns

    table, mrep = apply_mapping(raw, mapping, codebook, source=source)
    lines = [f"{source}: {len(raw)} row(s), {raw.shape[1]} column(s)"]
    blocking: list[str] = []
    lines.append("unmapped columns: " + (", ".join(map(repr, mrep.unmapped_columns)) or "none"))
    if mrep.column_problems:  # a numbered column that cannot be placed: encode would refuse it
        lines.append(f"column problems: {len(mrep.column_problems)}")
        lines += [f"  {p}" for p in mrep.column_problems]
        blocking += mrep.column_problems
    lines.append(f"unmapped labels: {len(mrep.unmapped_labels) or 'none'}")
    lines += [f"  {p.line()}" for p in mrep.unmapped_labels]
    lines.append(f"out-of-range values: {len(mrep.out_of_range) or 'none'}")
    lines += [f"  {p.line()}" for p in mrep.out_of_range]
    if mrep.duration_problems:
        lines.append(f"durations that cannot be read: {len(mrep.duration_problems)}")
        lines += [f"  {d}" for d in mrep.duration_problems[:20]]
    if mrep.missing_columns:
        msg = (
            f"{source}: missing item column(s) {', '.join(mrep.missing_columns)}; map them in the mapping's "
            f"`columns` or use headers such as {codebook.export_headers[mrep.missing_columns[0]]!r}"
        )
        lines.append(msg)
        return SurveyReport(source, tuple(lines), (*blocking, msg))
    for p in mrep.problems:
        blocking.append(f"{source}: {p.line()}")
    if mrep.duration_problems:
        blocking.append(f"{source}: {mrep.duration_problems[0]}")
    if blocking:
        return SurveyReport(source, tuple(lines), tuple(blocking))
    try:
        survey = encode(table, codebook, source=source)
    except EncodingError as exc:
        lines += [f"  {p}" for p in exc.problems[:20]]
        first = exc.problems[0]
        more = f" (and {len(exc.problems) - 1} more)" if len(exc.problems) > 1 else ""
        return SurveyReport(source, tuple(lines), (f"{source}: {first}{more}",))
    except EmstudyError as exc:
        return SurveyReport(source, tuple(lines), (str(exc),))
    missing = survey.answers.isna().mean()
    worst = missing[missing > 0].sort_values(ascending=False, kind="stable")
    lines.append("missingness per item: " + (", ".join(f"{i} {v:.3f}" for i, v in worst.items()) or "none"))
    flags = survey.flags
    for name, label in (
        ("straightlining", "straight-liners"),
        ("speeding", "speeders"),
        ("duplicate", "duplicate submissions"),
    ):
        ids = list(flags.index[flags[name]])
        shown = ", ".join(map(str, ids[:10])) + (" ..." if len(ids) > 10 else "")
        lines.append(f"{label}: {len(ids)}" + (f" (respondents {shown})" if ids else ""))
    dup_ids = survey.items.index[survey.items.index.duplicated(keep=False)]
    has_id = codebook.id_column.name in resolve_columns(table.columns, codebook)[0]
    if has_id and len(dup_ids):
        positions = np.flatnonzero(survey.items.index.isin(dup_ids[:1])) + 1
        msg = (
            f"{source}: duplicate respondent id {dup_ids[0]!r} (rows {', '.join(map(str, positions))}); "
            "each respondent id must be unique"
        )
        lines.append(f"duplicate respondent ids: {len(set(dup_ids))}")
        blocking.append(msg)
    else:
        lines.append("duplicate respondent ids: none")
    lines.append(f"kept for analysis: {int((~flags['any']).sum())} of {len(flags)}")
    lines += _limitation_lines(survey, codebook)
    return SurveyReport(source, tuple(lines), tuple(blocking))


def _limitation_lines(survey: Any, codebook: Codebook) -> list[str]:
    """What the run will leave out for these respondents (``emstudy.survey.limits``), as warnings."""
    from emstudy.survey.limits import case_limitations

    kept = survey.valid()
    roles = kept.background["role"] if "role" in kept.background else pd.Series(dtype=object)
    found = case_limitations(kept.items, roles, codebook.scales(), n_predictors=len(codebook.construct_ids))
    return [f"analysis limitations: {len(found) or 'none'}"] + [f"  warning: {m}" for m in found]
