"""Case files: what each case is (place, event, framework, problems, recommendations).

A case file lives in ``data/cases/<id>.yml`` and is validated on load. Its framework is a *view* of the
shared instrument: each dimension of the thesis's framework names the core constructs it maps onto.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from emstudy.errors import EmstudyError
from emstudy.survey.codebook import Codebook
from emstudy.survey.schema import StrictModel, load_yaml_model

__all__ = ["Case", "Interviews", "load_case", "CASE_ID_PATTERN", "check_case_id"]

CASE_ID_PATTERN = r"^[a-z][a-z0-9_]{1,39}$"


class Names(StrictModel):
    en: str
    zh: str


class Place(StrictModel):
    en: str
    zh: str
    level: str


class Event(StrictModel):
    en: str
    zh: str
    date: dt.date | str | None = None
    note: str | None = None


class Dimension(StrictModel):
    id: str
    en: str
    zh: str
    constructs: tuple[str, ...] = Field(min_length=1)


class Framework(StrictModel):
    id: str
    en: str
    zh: str
    dimensions: tuple[Dimension, ...] = Field(min_length=2)


class Statement(StrictModel):
    """A problem or recommendation in the project's own words, tied to constructs."""

    en: str
    zh: str
    constructs: tuple[str, ...] = Field(min_length=1)


class Sample(StrictModel):
    n: int = Field(ge=150, le=450)
    roles: dict[str, float]

    @model_validator(mode="after")
    def _shares(self) -> Sample:
        total = sum(self.roles.values())
        if abs(total - 1.0) > 1e-9 or any(v < 0 for v in self.roles.values()):
            raise ValueError(f"role shares must be non-negative and sum to 1, got {self.roles} (sum {total:g})")
        return self


class IntervieweeRole(StrictModel):
    """A group of interviewees (e.g. 街道干部), the survey role (``group``) they belong to, and how many."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    en: str
    zh: str
    group: str
    n: int = Field(ge=1, le=50)


class Interviews(StrictModel):
    """The interviews a thesis rests on: who was interviewed, and whether the thesis reports the numbers
    (``reported``) or the project assumed them (``assumed``). ``emstudy simulate`` draws coded segments for
    them (:mod:`emstudy.survey.simulate_interviews`)."""

    roles: tuple[IntervieweeRole, ...] = Field(min_length=1)
    basis: Literal["reported", "assumed"]

    @field_validator("roles")
    @classmethod
    def _unique_roles(cls, roles: tuple[IntervieweeRole, ...]) -> tuple[IntervieweeRole, ...]:
        ids = [r.id for r in roles]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"role id {twice[0]!r} is given twice; give each interviewee role once")
        return roles

    @property
    def n_interviewees(self) -> int:
        return sum(r.n for r in self.roles)


class Case(StrictModel):
    """A validated case description.

    Attributes
    ----------
    weaknesses : tuple of str
        Core constructs the thesis reports as weakest, most severe first. ``weakness_basis`` says whether
        the thesis ranks them (``reported``) or the project had to assume them (``assumed``).
    interviews : Interviews or None
        The interviews the thesis rests on (who was interviewed), for the cases whose method includes them.
    scrub_names : tuple of str
        Names of people (officials, respondents, interviewees) that free-text answers may mention; the
        privacy scrubber replaces them in every output, besides phone, ID and e-mail patterns it finds itself.
        Still read for older case files, but names are personal data: they belong in the git-ignored
        ``data/private/<id>.names.txt`` (:func:`emstudy.survey.privacy.names_file`), and ``emstudy run``
        warns while a case file lists them here.
    """

    id: str = Field(pattern=CASE_ID_PATTERN)
    name: Names
    place: Place
    event: Event
    hazards: tuple[str, ...]
    source_abstract: str
    framework: Framework
    methods: tuple[str, ...] = Field(min_length=1)
    problems: tuple[Statement, ...] = Field(min_length=1)
    weaknesses: tuple[str, ...] = Field(min_length=1, max_length=4)
    weakness_basis: Literal["reported", "assumed"]
    recommendations: tuple[Statement, ...] = Field(min_length=1)
    sample: Sample
    interviews: Interviews | None = None
    scrub_names: tuple[str, ...] = ()

    @field_validator("scrub_names")
    @classmethod
    def _names_not_blank(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        blank = [k for k, n in enumerate(names) if not n.strip()]
        if blank:
            raise ValueError(f"entry {blank[0]} is blank; list the names to remove from free text, or leave it out")
        return names

    def referenced_constructs(self) -> list[tuple[str, str]]:
        """(key path, construct id) for every construct the case file names."""
        refs = [
            (f"framework.dimensions.{k}.constructs", c)
            for k, d in enumerate(self.framework.dimensions)
            for c in d.constructs
        ]
        refs += [(f"problems.{k}.constructs", c) for k, p in enumerate(self.problems) for c in p.constructs]
        refs += [
            (f"recommendations.{k}.constructs", c) for k, r in enumerate(self.recommendations) for c in r.constructs
        ]
        refs += [("weaknesses", c) for c in self.weaknesses]
        return refs

    def check_against(self, codebook: Codebook, *, path: str | Path = "") -> None:
        """Raise EmstudyError if the case names a construct or role the codebook does not have."""
        known = set(codebook.construct_ids)
        where = f"{path}: " if path else f"case {self.id}: "
        for key, construct in self.referenced_constructs():
            if construct not in known:
                raise EmstudyError(f"{where}{key}: unknown construct {construct!r}; expected one of {sorted(known)}")
        roles = {lvl.code for d in codebook.demographics if d.id == "role" for lvl in d.levels}
        for role in self.sample.roles:
            if role not in roles:
                raise EmstudyError(f"{where}sample.roles: unknown role {role!r}; expected one of {sorted(roles)}")
        for k, person in enumerate(self.interviews.roles if self.interviews else ()):
            if person.group not in roles:
                raise EmstudyError(
                    f"{where}interviews.roles.{k}.group: unknown role {person.group!r}; expected one of {sorted(roles)}"
                )

    def unmapped_constructs(self, codebook: Codebook) -> list[str]:
        """Core constructs outside the thesis's framework (reported under the shared instrument only)."""
        mapped = {c for d in self.framework.dimensions for c in d.constructs}
        return [c for c in codebook.construct_ids if c not in mapped]

    def dimension_of(self, construct_id: str) -> Dimension:
        """The first framework dimension that a construct maps onto."""
        for d in self.framework.dimensions:
            if construct_id in d.constructs:
                return d
        raise KeyError(f"construct {construct_id!r} is not mapped in the framework of case {self.id}")


def check_case_id(case_id: str) -> str:
    """Validate a case id given on the command line (no paths, no separators)."""
    import re

    if not re.fullmatch(CASE_ID_PATTERN, case_id):
        raise EmstudyError(
            f"case id {case_id!r} is not valid: expected lowercase letters, digits and '_' "
            "(starting with a letter), not a path"
        )
    return case_id


def load_case(path: str | Path, codebook: Codebook | None = None) -> Case:
    """Load and validate ``data/cases/<id>.yml``; with a codebook, also check the constructs it names.

    Raises
    ------
    EmstudyError
        Naming the file, the key and what was expected.
    """
    path = Path(path)
    case = load_yaml_model(path, Case)
    if case.id != path.stem:
        raise EmstudyError(f"{path}: id: {case.id!r} does not match the file name; expected {path.stem!r}")
    if codebook is not None:
        case.check_against(codebook, path=path)
    return case
