"""Coded interview segments: the interview code book and one tidy table of codings from CSV, XLSX or ``.qdpx``.

A coding says that a coder gave a code to a segment of an interview transcript (or of an open answer). The
tidy table has one row per segment x coder x code (:data:`CODING_COLUMNS`)::

    case  source  segment_id  start  end  text  text_ref  code  coder

``case`` is a case id (``data/cases/<case>.yml``), ``source`` the transcript, ``segment_id`` the segment
within it, ``start``/``end`` its character offsets in the transcript when known (0-based, end exclusive:
the segment is ``transcript[start:end]``), ``text`` the segment's words or ``text_ref`` where they are, and
``code`` an id of the interview code book (``data/interview_codes.yml``, :func:`load_interview_codes`),
which ties each code to the instrument's constructs. :func:`read_codings` reads a survey-style table (CSV in
UTF-8 or GB18030, or XLSX, through :func:`emstudy.survey.readers.read_survey`) or a REFI-QDA project
(:mod:`emstudy.survey.qdpx`) and checks what the agreement statistics need: every code is in the code
book, every coder codes every source and every segment, no coder codes two overlapping segments of one
source. A problem is one :class:`~emstudy.errors.SurveyFileError` line naming the file and the row (or the
XML element) at fault. The files are only ever read.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import Field, field_validator

from emstudy.errors import EmstudyError, SurveyFileError
from emstudy.survey.cases import CASE_ID_PATTERN
from emstudy.survey.codebook import Codebook
from emstudy.survey.qdpx import read_qdpx
from emstudy.survey.readers import read_survey
from emstudy.survey.schema import StrictModel, load_yaml_model

__all__ = ["CODING_COLUMNS", "InterviewCode", "InterviewCodes", "load_interview_codes", "read_codings", "check_codings"]

CODING_COLUMNS: tuple[str, ...] = ("case", "source", "segment_id", "start", "end", "text", "text_ref", "code", "coder")
"""Columns of the tidy table of codings, in order (``start``/``end`` nullable integers, the others strings)."""

_REQUIRED = ("source", "segment_id", "code", "coder")
_ID_COLUMNS = ("case", "source", "segment_id", "code", "coder")
_TABLE_FORMATS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx", ".qdpx": "qdpx"}


# --- the code book ---------------------------------------------------------------------------------------


class InterviewCode(StrictModel):
    """One interview code: its labels, the constructs it speaks to and whether it marks a problem or a strength."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    en: str = Field(min_length=1)
    zh: str = Field(min_length=1)
    constructs: tuple[str, ...] = Field(min_length=1)
    polarity: Literal["problem", "strength"]


class _Title(StrictModel):
    en: str
    zh: str


class InterviewCodes(StrictModel):
    """The validated interview code book (``data/interview_codes.yml``).

    Attributes
    ----------
    codes : tuple of InterviewCode
        The codes, in file order; ids, English labels and Chinese labels are each unique.
    """

    id: str
    version: int
    title: _Title
    codes: tuple[InterviewCode, ...] = Field(min_length=1)

    @field_validator("codes")
    @classmethod
    def _unique(cls, codes: tuple[InterviewCode, ...]) -> tuple[InterviewCode, ...]:
        for key in ("id", "en", "zh"):
            seen: dict[str, int] = {}
            for k, code in enumerate(codes):
                value = getattr(code, key)
                if value in seen:
                    raise ValueError(
                        f"entry {k} has the {key} {value!r} of entry {seen[value]}; give each code its own id, "
                        "English and Chinese label"
                    )
                seen[value] = k
        return codes

    @property
    def ids(self) -> list[str]:
        """The code ids, in file order."""
        return [c.id for c in self.codes]

    def code(self, code_id: str) -> InterviewCode:
        """The code with this id."""
        for c in self.codes:
            if c.id == code_id:
                return c
        raise KeyError(f"unknown interview code {code_id!r}")

    def lookup(self, name: str) -> str | None:
        """The id of the code called ``name`` (its id, English or Chinese label; surrounding spaces ignored)."""
        name = name.strip()
        for c in self.codes:
            if name in (c.id, c.en.strip(), c.zh.strip()):
                return c.id
        return None

    def check_against(self, codebook: Codebook, *, path: str | Path = "") -> None:
        """Raise EmstudyError if a code names a construct the instrument does not have."""
        known = codebook.construct_ids
        for k, code in enumerate(self.codes):
            for construct in code.constructs:
                if construct not in known:
                    raise EmstudyError(
                        f"{path or 'interview codes'}: codes.{k}.constructs: unknown construct {construct!r} "
                        f"(code {code.id!r}); expected one of {known}"
                    )

    def to_frame(self, codebook: Codebook, *, case: Any = None) -> pd.DataFrame:
        """One row per code x construct, with the labels of both in English and Chinese.

        Parameters
        ----------
        codebook : Codebook
            The instrument (for the constructs' labels).
        case : emstudy.survey.cases.Case, optional
            A case: adds the framework dimension each construct maps onto (``dimension``, ``dimension_en``,
            ``dimension_zh``; missing for a construct outside the case's framework).

        Returns
        -------
        pandas.DataFrame
            Columns ``code, en, zh, polarity, construct, construct_en, construct_zh`` (and the dimension
            columns with a case).
        """
        rows = []
        for code in self.codes:
            for construct in code.constructs:
                row = {"code": code.id, "en": code.en, "zh": code.zh, "polarity": code.polarity}
                row |= {"construct": construct, "construct_en": codebook.label(construct, "en")}
                row["construct_zh"] = codebook.label(construct, "zh")
                if case is not None:
                    dims = [d for d in case.framework.dimensions if construct in d.constructs]
                    row |= {f"dimension{s}": getattr(dims[0], k) if dims else None for s, k in _DIM_KEYS}
                rows.append(row)
        return pd.DataFrame(rows)


_DIM_KEYS = (("", "id"), ("_en", "en"), ("_zh", "zh"))


def load_interview_codes(path: str | Path, codebook: Codebook | None = None) -> InterviewCodes:
    """Load and validate the interview code book; with the instrument, also check the constructs it names.

    Parameters
    ----------
    path : str or Path
        The code book, e.g. ``data/interview_codes.yml``.
    codebook : Codebook, optional
        The instrument (``data/codebooks/core.yml``, or a case's extended codebook).

    Returns
    -------
    InterviewCodes

    Raises
    ------
    emstudy.errors.EmstudyError
        Missing file, YAML error or duplicate key (with line and column), a schema violation or a code id or
        label given twice (with its key path), a construct the instrument does not have.

    References
    ----------
    Saldaña, J. (2021). *The Coding Manual for Qualitative Researchers* (4th ed.). SAGE. (A code book
    defines each code before the coders use it.)

    Examples
    --------
    >>> from emstudy.project import Project
    >>> project = Project.find()  # doctest: +SKIP
    >>> codes = load_interview_codes(project.root / "data" / "interview_codes.yml", project.codebook())  # doctest: +SKIP
    >>> codes.code("resources_problem").constructs  # doctest: +SKIP
    ('resources',)
    """
    codes = load_yaml_model(path, InterviewCodes)
    if codebook is not None:
        codes.check_against(codebook, path=path)
    return codes


# --- reading ---------------------------------------------------------------------------------------------


def read_codings(
    path: str | Path,
    *,
    codes: InterviewCodes,
    coders: Sequence[str] | None = None,
    case: str | None = None,
    sheet: str | int | None = None,
    encoding: str | None = None,
) -> pd.DataFrame:
    """Read coded interview segments into the tidy table, checked against the code book.

    Parameters
    ----------
    path : str or Path
        A table (``.csv``/``.txt``/``.tsv`` in UTF-8 or GB18030, ``.xlsx``/``.xlsm``) with the columns
        ``source, segment_id, code, coder``, ``text`` and/or ``text_ref``, optionally ``case``, ``start``
        and ``end`` (other columns are ignored); or a REFI-QDA project ``.qdpx`` (see
        :func:`emstudy.survey.qdpx.read_qdpx`). Only ever read.
    codes : InterviewCodes
        The code book; a code may be given by its id or its English or Chinese label and is stored as its id.
    coders : sequence of str, optional
        The coders expected; default every coder the file names. Each must code every source and segment.
    case : str, optional
        The case the file belongs to: fills a missing ``case`` column (a row naming another case is an
        error); for a ``.qdpx``, every source belongs to it (otherwise the project's ``Cases`` say).
    sheet : str or int, optional
        XLSX only: the sheet (default the active one).
    encoding : str, optional
        CSV only: the encoding (default detected: UTF-8 with or without BOM, then GB18030).

    Returns
    -------
    pandas.DataFrame
        :data:`CODING_COLUMNS`, one row per segment x coder x code, sorted by case, source, offsets,
        segment, coder and code. ``df.attrs["source"]`` records the file (path, format, SHA-256, rows).

    Raises
    ------
    SurveyFileError
        One line naming the file and the row (a table's 1-based data row, header not counted) or the XML
        element: missing columns or cells, empty file, unknown code or coder, a segment or source some
        expected coder did not code, overlapping segments of one source by one coder, a segment whose
        offsets or text differ between rows, a coding given twice.

    References
    ----------
    REFI (2019). *REFI-QDA Standard, Project exchange format* (QDA-XML ``urn:QDA-XML:project:1.0``).
    https://www.qdasoftware.org/

    Examples
    --------
    >>> import tempfile, pathlib
    >>> codes = InterviewCodes.model_validate({"id": "c", "version": 1, "title": {"en": "C", "zh": "C"},
    ...     "codes": [{"id": "plan_problem", "en": "Plan gap", "zh": "预案不足", "constructs": ["plan"],
    ...                "polarity": "problem"}]})
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "codings.csv"
    >>> _ = p.write_text("source,segment_id,text,code,coder\\ni1,s1,预案没更新,预案不足,A\\ni1,s1,预案没更新,plan_problem,B\\n",
    ...                  encoding="utf-8")
    >>> df = read_codings(p, codes=codes, case="wencheng")
    >>> df[["case", "segment_id", "code", "coder"]].values.tolist()
    [['wencheng', 's1', 'plan_problem', 'A'], ['wencheng', 's1', 'plan_problem', 'B']]
    """
    p = Path(path)
    fmt = _TABLE_FORMATS.get(p.suffix.lower())
    if fmt is None:
        raise SurveyFileError(
            f"{p}: unsupported file type {p.suffix or '(no extension)'!r} for codings; expected one of "
            f"{', '.join(_TABLE_FORMATS)}"
        )
    if fmt == "qdpx":
        if sheet is not None or encoding is not None:
            raise ValueError("sheet, encoding: only a CSV or XLSX table has them; leave them out for a .qdpx")
        raw = read_qdpx(p, case=case)
        where = list(raw.attrs["where"])
    else:
        raw = read_survey(p, sheet=sheet, encoding=encoding)
        where = [f"row {k}" for k in range(1, len(raw) + 1)]
        raw = _table_columns(raw, p, case=case)
    source = dict(raw.attrs["source"])
    frame = _check(raw, where, codes=codes, coders=coders, label=str(p))
    frame.attrs["source"] = source | {"n_rows": len(frame)}
    return frame


def check_codings(
    frame: pd.DataFrame, *, codes: InterviewCodes, coders: Sequence[str] | None = None, source: str = "codings"
) -> pd.DataFrame:
    """Check a table of codings built in memory (a simulator's, say) as :func:`read_codings` checks a file.

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns as in :func:`read_codings` (``case`` required); not modified.
    codes : InterviewCodes
        The code book.
    coders : sequence of str, optional
        The coders expected; default every coder named.
    source : str
        What the table is, named in messages.

    Returns
    -------
    pandas.DataFrame
        The tidy table (:data:`CODING_COLUMNS`), sorted.

    Raises
    ------
    SurveyFileError
        As :func:`read_codings`, naming ``source`` and the 1-based row.
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"frame: expected a pandas DataFrame, got {type(frame).__name__}")
    raw = _table_columns(frame, source, case=None)
    return _check(raw, [f"row {k}" for k in range(1, len(raw) + 1)], codes=codes, coders=coders, label=source)


# --- columns and cells -----------------------------------------------------------------------------------


def _fail(label: str, where: str | None, message: str) -> SurveyFileError:
    at = f"{where}: " if where else ""
    return SurveyFileError(" ".join(f"{label}: {at}{message}".split()))


def _cell(value: Any) -> str | None:
    """A cell as text: missing and blank cells as None, whole numbers without a decimal point (Excel's ``3.0``)."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    return text if text.strip() else None


def _table_columns(raw: pd.DataFrame, path: str | Path, *, case: str | None) -> pd.DataFrame:
    """The coding columns of a table (other columns dropped), as text; ``case`` filled from the argument."""
    found = {str(c).strip().lower(): c for c in raw.columns}
    missing = [c for c in _REQUIRED if c not in found]
    if "text" not in found and "text_ref" not in found:
        missing.append("text or text_ref")
    if "case" not in found and case is None:
        missing.append("case (or pass case=)")
    if missing:
        raise _fail(
            str(path), None, f"missing column(s) {', '.join(missing)}; the columns are {[str(c) for c in raw.columns]}"
        )
    out = pd.DataFrame(index=range(len(raw)))
    for name in CODING_COLUMNS:
        values = raw[found[name]].tolist() if name in found else [None] * len(raw)
        out[name] = pd.Series([_cell(v) for v in values], dtype=object)
    if case is not None:
        for k, value in enumerate(out["case"]):
            if value is not None and value.strip() != case:
                raise _fail(str(path), f"row {k + 1}", f"column 'case': {value!r} is not the case {case!r} asked for")
        out["case"] = case
    out.attrs["source"] = dict(raw.attrs.get("source", {"path": str(path), "format": "frame"}))
    return out


def _offset(value: str | None, label: str, where: str, column: str) -> int | None:
    if value is None:
        return None
    text = value.strip()
    if not re.fullmatch(r"\d+", text):
        raise _fail(label, where, f"column {column!r}: {value!r} is not a character offset (a whole number >= 0)")
    return int(text)


def _normalise(raw: pd.DataFrame, where: list[str], codes: InterviewCodes, label: str) -> pd.DataFrame:
    """Ids stripped, codes mapped to ids, offsets as integers; blank or unknown cells are errors."""
    rows = []
    for k, rec in enumerate(raw.to_dict("records")):
        at = where[k]
        for column in _ID_COLUMNS:
            if rec[column] is None:
                raise _fail(label, at, f"column {column!r} is empty; every coding needs its {column}")
            rec[column] = rec[column].strip()
        if not re.fullmatch(CASE_ID_PATTERN, rec["case"]):
            raise _fail(
                label,
                at,
                f"case {rec['case']!r} is not a case id (lowercase letters, digits, '_'); name it as its "
                "data/cases/<id>.yml does, or pass case=",
            )
        code = codes.lookup(rec["code"])
        if code is None:
            shown = ", ".join(codes.ids[:6]) + (", ..." if len(codes.ids) > 6 else "")
            raise _fail(label, at, f"unknown code {rec['code']!r}; expected an id or label of the code book ({shown})")
        rec["code"] = code
        if rec["text"] is None and rec["text_ref"] is None:
            raise _fail(label, at, "neither 'text' nor 'text_ref' is given; name the segment's words or where they are")
        rec["start"], rec["end"] = (_offset(rec[c], label, at, c) for c in ("start", "end"))
        if (rec["start"] is None) != (rec["end"] is None):
            raise _fail(label, at, "give both 'start' and 'end' of the segment, or neither")
        if rec["start"] is not None and rec["start"] >= rec["end"]:
            raise _fail(label, at, f"start {rec['start']} is not before end {rec['end']}")
        rows.append(rec)
    return pd.DataFrame(rows, columns=list(CODING_COLUMNS), dtype=object)


# --- checks ----------------------------------------------------------------------------------------------


def _check(
    raw: pd.DataFrame, where: list[str], *, codes: InterviewCodes, coders: Sequence[str] | None, label: str
) -> pd.DataFrame:
    frame = _normalise(raw, where, codes, label)
    if frame.empty:
        raise _fail(label, None, "holds no codings")
    expected = _expected_coders(frame, where, coders, label)
    _check_duplicates(frame, where, label)
    _check_segments_agree(frame, where, label)
    _check_coverage(frame, where, expected, label)
    _check_overlaps(frame, where, label)
    return _tidy(frame)


def _expected_coders(frame: pd.DataFrame, where: list[str], coders: Sequence[str] | None, label: str) -> list[str]:
    seen = list(dict.fromkeys(frame["coder"]))
    if coders is None:
        return seen
    if isinstance(coders, str) or not all(isinstance(c, str) and c.strip() for c in coders) or not coders:
        raise ValueError(f"coders: expected a list of coder names, got {coders!r}")
    wanted = [c.strip() for c in coders]
    for k, name in enumerate(frame["coder"]):
        if name not in wanted:
            raise _fail(label, where[k], f"unknown coder {name!r}; expected one of {wanted} (coders=)")
    absent = [c for c in wanted if c not in seen]
    if absent:
        raise _fail(label, None, f"coder(s) {absent} expected (coders=) but absent from the file")
    return wanted


_SEGMENT = ["case", "source", "segment_id"]


def _check_duplicates(frame: pd.DataFrame, where: list[str], label: str) -> None:
    keys = [*_SEGMENT, "coder", "code"]
    dup = frame.duplicated(keys, keep="first")
    if dup.any():
        k = int(dup.to_numpy().nonzero()[0][0])
        first = int(frame.index[(frame[keys] == frame.loc[k, keys]).all(axis=1)][0])
        rec = frame.loc[k]
        raise _fail(
            label,
            where[k],
            f"coder {rec['coder']!r} gives code {rec['code']!r} to segment {rec['segment_id']!r} of source "
            f"{rec['source']!r} again ({where[first]} already does); give each coding once",
        )


def _check_segments_agree(frame: pd.DataFrame, where: list[str], label: str) -> None:
    """Every row of one segment has the same offsets and text: the coders coded the same unit."""
    first: dict[tuple, int] = {}
    for k, key in enumerate(zip(*(frame[c] for c in _SEGMENT), strict=True)):
        j = first.setdefault(key, k)
        for column in ("start", "end", "text", "text_ref"):
            a, b = frame.at[j, column], frame.at[k, column]
            if not _same(a, b):
                raise _fail(
                    label,
                    where[k],
                    f"segment {key[2]!r} of source {key[1]!r} has {column} {_show(b)} here but {_show(a)} in "
                    f"{where[j]}; one segment is one unit for every coder",
                )


def _same(a: Any, b: Any) -> bool:
    return (pd.isna(a) and pd.isna(b)) or (not pd.isna(a) and not pd.isna(b) and a == b)


def _show(value: Any) -> str:
    if pd.isna(value):
        return "(empty)"
    text = str(value)
    return repr(text if len(text) <= 30 else text[:30] + "...")


def _check_coverage(frame: pd.DataFrame, where: list[str], expected: list[str], label: str) -> None:
    """Every expected coder codes every source, and every segment of it (two or more coders)."""
    if len(expected) < 2:
        return
    by_source: dict[tuple, set[str]] = {}
    for key, coder in zip(zip(frame["case"], frame["source"], strict=True), frame["coder"], strict=True):
        by_source.setdefault(key, set()).add(coder)
    for (case, src), done in by_source.items():
        absent = [c for c in expected if c not in done]
        if absent:
            k = int(((frame["case"] == case) & (frame["source"] == src)).to_numpy().nonzero()[0][0])
            raise _fail(
                label,
                where[k],
                f"source {src!r} (case {case!r}) has no coding by coder(s) {absent}; every coder codes every "
                f"source (coders: {expected})",
            )
    by_segment: dict[tuple, set[str]] = {}
    first: dict[tuple, int] = {}
    for k, key in enumerate(zip(*(frame[c] for c in _SEGMENT), strict=True)):
        by_segment.setdefault(key, set()).add(frame.at[k, "coder"])
        first.setdefault(key, k)
    for key, done in by_segment.items():
        if len(done) < len(expected):
            named = [c for c in expected if c in done]
            raise _fail(
                label,
                where[first[key]],
                f"segment {key[2]!r} of source {key[1]!r} (case {key[0]!r}) is coded by {', '.join(named)} only; "
                f"each of {', '.join(expected)} must code it (every coder codes the same segments)",
            )


def _check_overlaps(frame: pd.DataFrame, where: list[str], label: str) -> None:
    """No coder codes two overlapping segments of one source (a segment's rows count once)."""
    known = frame[frame["start"].notna()]
    firsts = known.drop_duplicates([*_SEGMENT, "coder"])
    for (_case, src, coder), part in firsts.groupby(["case", "source", "coder"], sort=False):
        spans = part.sort_values(["start", "end"], kind="stable")
        starts, ends, idx = spans["start"].tolist(), spans["end"].tolist(), spans.index.tolist()
        reach, holder = -1, -1
        for s, e, k in zip(starts, ends, idx, strict=True):
            if s < reach:
                a, b = frame.loc[holder], frame.loc[k]
                raise _fail(
                    label,
                    where[k],
                    f"segment {b['segment_id']!r} (characters {b['start']}-{b['end']}) overlaps segment "
                    f"{a['segment_id']!r} (characters {a['start']}-{a['end']}, {where[holder]}) of source {src!r}, "
                    f"both coded by {coder!r}; segments of one source must not overlap",
                )
            if e > reach:
                reach, holder = e, k


def _tidy(frame: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({c: pd.array(frame[c].tolist(), dtype="string") for c in CODING_COLUMNS})
    for c in ("start", "end"):
        out[c] = pd.array(frame[c].tolist(), dtype="Int64")
    order = ["case", "source", "start", "end", "segment_id", "coder", "code"]
    out = out.sort_values(order, kind="stable", na_position="last").reset_index(drop=True)
    return out
