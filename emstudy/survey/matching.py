"""Matching a survey export's columns to the codebook's fields by their text, never by number alone.

A column is matched to a field (an item, a demographic, the overall rating, the open question, the respondent
id or the duration) in this order:

1. its name is the field's id (``PLN1``, ``role``, ...): this is how an explicit entry of a mapping's
   ``columns:`` arrives, so an explicit mapping always wins;
2. its normalised text equals the normalised Chinese or English text of exactly one field.

Normalising a header (:func:`normalise_header`) folds full-width forms to half-width (Unicode NFKC), strips
a leading question number (``5.``, ``Q5``, ``5、``, ``（5）``, ``第5题``), drops whitespace and punctuation
and folds case, so ``"５．本地应急预案覆盖了本地区的主要风险"`` and ``"Q5 本地应急预案覆盖了本地区的主要风险。"``
are the same text. The question number alone never decides: a header whose number is one field's question
while its text is another's is an error naming the column and both fields, and a numbered header whose text
matches no field (or a field already matched) is a *column problem*: :func:`match_columns` lists them,
``emstudy validate`` reports them and :func:`~emstudy.survey.encode.encode` refuses them.

:func:`propose_mapping` scores every header against every field with a fuzzy similarity (rapidfuzz) so that
``emstudy map FILE`` can write a mapping for the user to review.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from emstudy.errors import EmstudyError
from emstudy.fileio import atomic_write_text
from emstudy.survey.codebook import Codebook
from emstudy.survey.readers import split_question_header

__all__ = [
    "normalise_header",
    "split_header",
    "ColumnMatch",
    "match_columns",
    "resolve_columns",
    "ColumnProposal",
    "MappingProposal",
    "propose_mapping",
    "write_mapping_proposal",
]

_KEPT_CATEGORIES = ("L", "N", "M")  # letters, digits and marks; whitespace, punctuation, symbols are dropped


def _fold(text: str) -> str:
    """Case-folded text with only letters, digits and combining marks."""
    return "".join(ch for ch in text.casefold() if unicodedata.category(ch)[0] in _KEPT_CATEGORIES)


def split_header(header: object) -> tuple[int | None, str]:
    """The leading question number of a header (None when it has none) and its normalised text.

    Examples
    --------
    >>> split_header("（5）本地应急预案覆盖了本地区的主要风险。")
    (5, '本地应急预案覆盖了本地区的主要风险')
    >>> split_header("Q12 Overall, how good is it?")
    (12, 'overallhowgoodisit')
    >>> split_header("所用时间(秒)")
    (None, '所用时间秒')
    """
    text = unicodedata.normalize("NFKC", str(header))
    number, rest = split_question_header(text)
    return number, _fold(rest)


def normalise_header(header: object) -> str:
    """A header's text as it is compared: NFKC (full-width to half-width), without a leading question number,
    whitespace or punctuation, case-folded.

    Examples
    --------
    >>> normalise_header("５、部门、乡镇和企业的预案相互衔接。") == normalise_header("Q5 部门乡镇和企业的预案相互衔接")
    True
    """
    return split_header(header)[1]


def _field_texts(codebook: Codebook) -> dict[str, tuple[str, ...]]:
    """Every field that a column can hold, with the normalised texts it is known by."""
    texts: dict[str, tuple[str, ...]] = {}
    for demo in codebook.demographics:
        texts[demo.id] = (demo.zh, demo.en)
    for item_id, item in codebook.items.items():
        texts[item_id] = (item.zh, item.en)
    texts[codebook.overall.id] = (codebook.overall.zh, codebook.overall.en)
    texts[codebook.open_question.id] = (codebook.open_question.zh, codebook.open_question.en)
    texts[codebook.id_column.name] = (codebook.id_column.header,)
    texts[codebook.duration_column.name] = (codebook.duration_column.header,)
    return {name: tuple(dict.fromkeys(t for t in map(normalise_header, raw) if t)) for name, raw in texts.items()}


def _by_text(codebook: Codebook) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, texts in _field_texts(codebook).items():
        for text in texts:
            out.setdefault(text, []).append(name)
    return out


def _describe(codebook: Codebook, name: str) -> str:
    """``PLN1 (question 5, '本地应急预案…')`` for messages."""
    number = codebook.question_numbers.get(name)
    header = codebook.export_headers.get(name, name)
    return f"{name} ({header!r})" if number is None else f"{name} (question {number}, {header!r})"


@dataclass(frozen=True)
class ColumnMatch:
    """Which column holds which field.

    Attributes
    ----------
    found : dict
        Field name -> column of the table.
    unmapped : tuple of str
        Columns that hold no field (the column problems among them).
    problems : tuple of str
        One line per numbered column whose text matches no field, matches several, or matches a field that
        another column already holds; each names the column and what to do.
    """

    found: dict[str, object]
    unmapped: tuple[str, ...]
    problems: tuple[str, ...]


def match_columns(
    columns: Iterable[object], codebook: Codebook, *, source: str = "<data>", explicit: Mapping[str, str] | None = None
) -> ColumnMatch:
    """Match a table's columns to the codebook's fields by name, then by normalised text (module docstring).

    Parameters
    ----------
    columns : iterable
        The table's column labels, in order.
    codebook : Codebook
        The instrument.
    source : str
        Name used in messages (usually the file path).
    explicit : mapping, optional
        Field -> the survey column a mapping renamed to it; only used to name that column in messages.

    Returns
    -------
    ColumnMatch

    Raises
    ------
    EmstudyError
        When a header's question number is one field's and its text another's (the message names the
        column and both fields).
    """
    explicit = dict(explicit or {})
    names = set(_field_texts(codebook))
    by_text = _by_text(codebook)
    by_number = {n: name for name, n in codebook.question_numbers.items()}
    found: dict[str, object] = {}
    unmapped: list[str] = []
    problems: list[str] = []
    columns = list(columns)
    named = {k: str(col).strip() for k, col in enumerate(columns) if str(col).strip() in names}
    for k in named:  # ids first: an explicit mapping entry always wins
        col, name = columns[k], named[k]
        if name in found:
            problems.append(f"{source}: column {col!r}: field {name} is already held by another column {col!r}")
            unmapped.append(name)
        else:
            found[name] = col
    for k, col in enumerate(columns):
        if k in named:
            continue
        number, text = split_header(col)
        candidates = by_text.get(text, []) if text else []
        if len(candidates) == 1:
            name = candidates[0]
            if number in by_number and by_number[number] != name:
                raise EmstudyError(
                    f"{source}: column {col!r}: its number {number} is {_describe(codebook, by_number[number])} "
                    f"but its text is {_describe(codebook, name)}; the number alone never decides: correct the "
                    "header, or map the column in the mapping's `columns:` (`emstudy map FILE` proposes one)"
                )
            if name not in found:
                found[name] = col
                continue
            holder = explicit.get(name, found[name])
            problems.append(
                f"{source}: column {col!r}: its text is that of {_describe(codebook, name)}, which column "
                f"{holder!r} already holds; map one of them in the mapping's `columns:` or list the other "
                "under `ignore:`"
            )
        elif len(candidates) > 1:
            problems.append(
                f"{source}: column {col!r}: its text is that of several fields ({', '.join(candidates)}); map it "
                "in the mapping's `columns:`"
            )
        elif number is not None:
            hint = (
                f" (question {number} of the codebook is {_describe(codebook, by_number[number])})"
                if number in by_number
                else ""
            )
            problems.append(
                f"{source}: column {col!r} is numbered like a question but its text matches no codebook field"
                f"{hint}; map it in the mapping's `columns:` or list it under "
                "`ignore:` (`emstudy map FILE` proposes a mapping)"
            )
        unmapped.append(str(col).strip())
    return ColumnMatch(found, tuple(unmapped), tuple(problems))


def resolve_columns(
    columns: Iterable[object], codebook: Codebook, *, source: str = "<data>", strict: bool = False
) -> tuple[dict[str, object], list[str]]:
    """Map codebook field names to the raw table's columns (see :func:`match_columns`).

    Returns ``(field -> column, unmapped columns)``. With ``strict=True`` a column problem (a numbered column
    whose text matches no field, several, or one already held) is an :class:`~emstudy.errors.EmstudyError`
    naming the column; a header whose number and text name different fields is one in any case.
    """
    match = match_columns(columns, codebook, source=source)
    if strict and match.problems:
        more = f" (and {len(match.problems) - 1} more column problem(s))" if len(match.problems) > 1 else ""
        raise EmstudyError(match.problems[0] + more)
    return match.found, list(match.unmapped)


# -- proposing a mapping ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ColumnProposal:
    """What :func:`propose_mapping` proposes for one column.

    ``status`` is ``matched`` (``field`` is proposed), ``ambiguous`` (two fields within the margin, or a field
    that a better-scoring column takes) or ``unmatched`` (no field scores ``min_score``); ``candidates`` are
    the best fields with their similarity (0-100).
    """

    column: str
    status: str
    field: str | None
    score: float
    candidates: tuple[tuple[str, float], ...]
    note: str = ""

    def line(self) -> str:
        """One line for the terminal."""
        best = ", ".join(f"{f} {s:.0f}" for f, s in self.candidates[:2]) or "none"
        what = {
            "matched": f"-> {self.field} (score {self.score:.0f})",
            "ambiguous": f"ambiguous (best: {best})",
            "unmatched": f"unmatched (best: {best})",
        }[self.status]
        return f"{self.column!r}: {what}{'; ' + self.note if self.note else ''}"


@dataclass(frozen=True)
class MappingProposal:
    """The proposal for every column of a survey, in column order."""

    source: str
    columns: tuple[ColumnProposal, ...]

    def count(self, status: str) -> int:
        return sum(c.status == status for c in self.columns)

    def summary(self) -> str:
        return (
            f"{self.source}: {len(self.columns)} column(s): {self.count('matched')} matched, "
            f"{self.count('ambiguous')} ambiguous, {self.count('unmatched')} unmatched"
        )


def _scores(text: str, field_texts: Mapping[str, tuple[str, ...]]) -> list[tuple[str, float]]:
    """Similarity (rapidfuzz's normalised Indel ratio, 0-100) of a text to every field, best first."""
    from rapidfuzz import fuzz

    scored = [(name, max((fuzz.ratio(text, t) for t in texts), default=0.0)) for name, texts in field_texts.items()]
    return sorted(scored, key=lambda fs: -fs[1])


def _propose_one(
    column: str, codebook: Codebook, field_texts: Mapping[str, tuple[str, ...]], *, min_score: float, margin: float
) -> ColumnProposal:
    number, text = split_header(column)
    ranked = _scores(text, field_texts) if text else []
    top = tuple((f, round(s, 1)) for f, s in ranked[:3])
    if not ranked or ranked[0][1] < min_score:
        return ColumnProposal(column, "unmatched", None, top[0][1] if top else 0.0, top)
    best, score = ranked[0]
    second = ranked[1][1] if len(ranked) > 1 else 0.0
    if score < 100 and score - second < margin or score == second:
        return ColumnProposal(column, "ambiguous", None, score, top, f"within {margin:g} points")
    numbered = {n: name for name, n in codebook.question_numbers.items()}.get(number)
    note = f"number {number} is {numbered} in the codebook: the text decides" if numbered not in (None, best) else ""
    return ColumnProposal(column, "matched", best, round(score, 1), top, note)


def propose_mapping(
    columns: Iterable[object],
    codebook: Codebook,
    *,
    source: str = "<data>",
    min_score: float = 80.0,
    margin: float = 5.0,
) -> MappingProposal:
    """Propose a field for every column from its header text, with a similarity score.

    Parameters
    ----------
    columns : iterable
        The survey's column headers.
    codebook : Codebook
        The instrument.
    source : str
        Name used in the summary and the YAML header.
    min_score : float
        Lowest similarity (0-100, rapidfuzz ``fuzz.ratio`` of the normalised texts) that proposes a field.
    margin : float
        A column whose two best fields are closer than this is ambiguous (unless the best is identical).

    Returns
    -------
    MappingProposal
        Question numbers are ignored; when two columns propose the same field, the better one keeps it and
        the other is ambiguous (both, when they score the same).
    """
    if not 0 <= min_score <= 100 or margin < 0:
        raise ValueError(f"min_score must lie in [0, 100] and margin be >= 0, got {min_score}, {margin}")
    field_texts = _field_texts(codebook)
    proposals = [
        _propose_one(str(c).strip(), codebook, field_texts, min_score=min_score, margin=margin) for c in columns
    ]
    best: dict[str, float] = {}
    for p in proposals:
        if p.field is not None:
            best[p.field] = max(best.get(p.field, 0.0), p.score)
    out = []
    for p in proposals:
        rivals = [q.column for q in proposals if q is not p and q.field == p.field and p.field is not None]
        if p.field is not None and (p.score < best[p.field] or (rivals and p.score == best[p.field])):
            p = ColumnProposal(p.column, "ambiguous", None, p.score, p.candidates, f"{p.field} also fits {rivals[0]!r}")
        out.append(p)
    return MappingProposal(source, tuple(out))


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


def proposal_yaml(proposal: MappingProposal, codebook: Codebook) -> str:
    """The text of the proposed mapping file (every proposal commented with its score)."""
    special = {codebook.id_column.name, codebook.duration_column.name}
    entries = [p for p in proposal.columns if p.status == "matched" and p.field not in special]
    rid = next((p for p in proposal.columns if p.field == codebook.id_column.name), None)
    dur = next((p for p in proposal.columns if p.field == codebook.duration_column.name), None)
    lines = [
        f"# Column mapping proposed by `emstudy map` from the headers of {proposal.source}",
        f"# (codebook {codebook.id}). REVIEW IT: each column is matched to a codebook field by its text",
        "# (question numbers are ignored); the score is the similarity of the normalised texts (100: identical).",
        "# Ambiguous and unmatched columns are listed at the end: map them under `columns:` or add them to",
        "# `ignore:`. Answer labels other than the codebook's go under `labels:` (see `emstudy new-case`).",
        f"# Then: emstudy validate {proposal.source} --mapping <this file>",
        "columns:" + ("" if entries else " {}"),
    ]
    lines += [f"  {_q(p.column)}: {p.field}  # score {p.score:.0f}{'; ' + p.note if p.note else ''}" for p in entries]
    lines += ["labels: {}", "item_labels: {}"]
    lines.append(f"respondent_id: {_q(rid.column)}  # score {rid.score:.0f}" if rid else "respondent_id: null")
    lines.append(
        f"duration: {{column: {_q(dur.column)}, unit: auto}}  # score {dur.score:.0f}; plain numbers are seconds "
        "(unit: min for minutes)"
        if dur
        else "duration: null"
    )
    lines += ["reverse_already_applied: false", "ignore: []"]
    for status, intro in (
        ("ambiguous", "# ambiguous (pick the field, then move the line under `columns:`):"),
        ("unmatched", "# unmatched (map it under `columns:`, or add it to `ignore:`):"),
    ):
        rows = [p for p in proposal.columns if p.status == status]
        if rows:
            lines.append(intro)
            for p in rows:
                best = ", ".join(f"{f} {s:.0f}" for f, s in p.candidates[:2]) or "none"
                lines.append(f"#   {_q(p.column)}: ?  # best: {best}{'; ' + p.note if p.note else ''}")
    return "\n".join(lines) + "\n"


def write_mapping_proposal(
    path: str | Path, proposal: MappingProposal, codebook: Codebook, *, force: bool = False, replaceable: str = ""
) -> Path:
    """Write :func:`proposal_yaml` to ``path`` atomically.

    Raises
    ------
    EmstudyError
        When ``path`` exists, unless ``force`` is true or its text equals ``replaceable`` (for example the
        untouched template that ``emstudy new-case`` wrote).
    """
    path = Path(path)
    if path.exists() and not force:
        current = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None
        if current is None or not replaceable or current != replaceable:
            raise EmstudyError(f"{path}: exists; a mapping is never overwritten silently (use --out M, or --force)")
    return atomic_write_text(path, proposal_yaml(proposal, codebook))
