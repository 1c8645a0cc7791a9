"""The shared instrument: constructs, items, anchors, reverse keys and the survey export layout.

The codebook lives in ``data/codebooks/<id>.yml`` and is validated on load. Question numbers, and so the
headers a survey platform would export (``5.本地应急预案覆盖了本地区的主要风险。``), follow from the order of
the file: demographics first, then the construct items, the outcome items, the overall rating and the open
question.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from emstudy.survey.schema import StrictModel, load_yaml_model

__all__ = [
    "Anchor",
    "Item",
    "Construct",
    "Codebook",
    "CodebookExtension",
    "load_codebook",
    "load_extension",
    "extend_codebook",
]


class Anchor(StrictModel):
    """One labelled answer: its numeric code and its English and Chinese labels."""

    code: int
    en: str
    zh: str


class Level(StrictModel):
    """One level of a categorical question (a demographic)."""

    code: str
    en: str
    zh: str


class Item(StrictModel):
    """One Likert item: identifier, wording in English and Chinese, and whether it is reverse-keyed."""

    id: str = Field(pattern=r"^[A-Z]{3}[0-9]$")
    en: str
    zh: str
    reverse: bool = False


class Construct(StrictModel):
    """A construct measured by 2 to 5 Likert items (a two-item construct's reliability is the Spearman-Brown
    coefficient, :func:`emstudy.stats.reliability.spearman_brown`; Eisinga et al. 2013)."""

    id: str = Field(pattern=r"^[a-z_]+$")
    en: str
    zh: str
    phase: Literal["prevention", "warning", "response", "recovery"] | None = None
    items: tuple[Item, ...] = Field(min_length=2, max_length=5)


class Scale(StrictModel):
    min: int
    max: int
    anchors: tuple[Anchor, ...]

    @model_validator(mode="after")
    def _anchors_cover_scale(self) -> Scale:
        codes = [a.code for a in self.anchors]
        if codes != list(range(self.min, self.max + 1)):
            raise ValueError(f"anchors must have codes {self.min}..{self.max} in order, got {codes}")
        return self


class Column(StrictModel):
    name: str
    header: str


class Rating(StrictModel):
    id: str
    en: str
    zh: str
    anchors: tuple[Anchor, ...] = Field(min_length=2)


class Demographic(StrictModel):
    id: str
    en: str
    zh: str
    levels: tuple[Level, ...] = Field(min_length=2)


class OpenQuestion(StrictModel):
    id: str
    en: str
    zh: str


class Title(StrictModel):
    en: str
    zh: str


class Codebook(StrictModel):
    """The validated instrument.

    Attributes
    ----------
    constructs : tuple of Construct
        The core constructs, each measured in every case.
    outcome : Construct
        The outcome construct (perceived effectiveness of local emergency management).
    overall : Rating
        The single overall rating.
    demographics : tuple of Demographic
        Respondent role and demographics, in question order.
    """

    id: str
    version: int
    title: Title
    scale: Scale
    missing_codes: tuple[str, ...]
    id_column: Column
    duration_column: Column
    constructs: tuple[Construct, ...] = Field(min_length=11)
    outcome: Construct
    overall: Rating
    demographics: tuple[Demographic, ...]
    open_question: OpenQuestion
    extension_ids: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _unique_ids(self) -> Codebook:
        seen: set[str] = set()
        for name in [c.id for c in self.all_constructs] + self.item_ids:
            if name in seen:
                raise ValueError(f"identifier {name!r} is used twice; construct and item ids must be unique")
            seen.add(name)
        if not set(self.extension_ids) <= set(self.construct_ids):
            raise ValueError("extension_ids must name constructs of this codebook")
        if "role" not in {d.id for d in self.demographics}:
            raise ValueError("demographics must include 'role' (government staff, enterprise staff, resident)")
        return self

    # -- derived views --------------------------------------------------------------------------------
    @property
    def all_constructs(self) -> tuple[Construct, ...]:
        """Core constructs followed by the outcome construct."""
        return (*self.constructs, self.outcome)

    @property
    def construct_ids(self) -> list[str]:
        """Identifiers of the core constructs, in codebook order."""
        return [c.id for c in self.constructs]

    @property
    def core_construct_ids(self) -> list[str]:
        """Identifiers of the shared core constructs (those of a case's extension excluded), in codebook order."""
        return [c.id for c in self.constructs if c.id not in self.extension_ids]

    @property
    def extension_item_ids(self) -> list[str]:
        """Identifiers of the items a case's extension adds (empty for the core codebook)."""
        return [i.id for c in self.constructs if c.id in self.extension_ids for i in c.items]

    @property
    def item_ids(self) -> list[str]:
        """Identifiers of every Likert item (core and outcome), in question order."""
        return [i.id for c in self.all_constructs for i in c.items]

    @cached_property
    def items(self) -> dict[str, Item]:
        """Every Likert item by identifier."""
        return {i.id: i for c in self.all_constructs for i in c.items}

    @property
    def reverse_items(self) -> list[str]:
        """Identifiers of the reverse-keyed items."""
        return [i for i, item in self.items.items() if item.reverse]

    def construct(self, construct_id: str) -> Construct:
        """Return a construct (core or outcome) by identifier."""
        for c in self.all_constructs:
            if c.id == construct_id:
                return c
        raise KeyError(f"unknown construct {construct_id!r}; known: {', '.join(c.id for c in self.all_constructs)}")

    def scales(self, *, include_outcome: bool = True) -> dict[str, list[str]]:
        """Map each construct to its item identifiers (the input of the reliability functions)."""
        chosen = self.all_constructs if include_outcome else self.constructs
        return {c.id: [i.id for i in c.items] for c in chosen}

    def label(self, construct_id: str, lang: str = "en") -> str:
        """The construct's name in ``lang`` ('en' or 'zh')."""
        return getattr(self.construct(construct_id), _check_lang(lang))

    @cached_property
    def question_numbers(self) -> dict[str, int]:
        """Question number of every field as a survey platform numbers them (1-based)."""
        extra = self.extension_item_ids  # a case's own items come last: the core numbers never move
        core = [i for i in self.item_ids if i not in extra]
        order = [d.id for d in self.demographics] + core + [self.overall.id, self.open_question.id] + extra
        return {name: k for k, name in enumerate(order, start=1)}

    @cached_property
    def export_headers(self) -> dict[str, str]:
        """Field identifier -> the column header of a platform export (question number and Chinese text)."""
        zh: dict[str, str] = {d.id: d.zh for d in self.demographics}
        zh.update({i: item.zh for i, item in self.items.items()})
        zh[self.overall.id] = self.overall.zh
        zh[self.open_question.id] = self.open_question.zh
        headers = {self.id_column.name: self.id_column.header}
        headers.update({name: f"{self.question_numbers[name]}.{text}" for name, text in zh.items()})
        headers[self.duration_column.name] = self.duration_column.header
        return headers


def _check_lang(lang: str) -> str:
    if lang not in ("en", "zh"):
        raise ValueError(f"lang must be 'en' or 'zh', got {lang!r}")
    return lang


def load_codebook(path: str | Path) -> Codebook:
    """Load and validate a codebook YAML file.

    Parameters
    ----------
    path : str or Path
        The codebook file, e.g. ``data/codebooks/core.yml``.

    Returns
    -------
    Codebook

    Raises
    ------
    emstudy.errors.EmstudyError
        When the file is missing, is not YAML, or breaks the schema; the message names the file, the key
        and what was expected.

    Examples
    --------
    >>> from emstudy.project import Project
    >>> cb = load_codebook(Project.find().codebook_path)  # doctest: +SKIP
    >>> cb.scales()["plan"]  # doctest: +SKIP
    ['PLN1', 'PLN2', 'PLN3', 'PLN4']
    """
    return load_yaml_model(path, Codebook)


class CodebookExtension(StrictModel):
    """A case's own constructs (``data/codebooks/<case>.yml``): each 2-5 Likert items answered on the core
    scale, analysed in that case's notebooks and left out of the cross-case comparison."""

    constructs: tuple[Construct, ...] = Field(min_length=1)


def load_extension(path: str | Path) -> CodebookExtension:
    """Load and validate a case's codebook extension.

    Raises
    ------
    emstudy.errors.EmstudyError
        Missing file, YAML error, duplicate or unknown key, or a construct with fewer than 2 or more than 5
        items; the message names the file and the key.
    """
    return load_yaml_model(path, CodebookExtension)


def extend_codebook(codebook: Codebook, extension: CodebookExtension, *, source: str | Path) -> Codebook:
    """The codebook of one case: ``codebook`` with the extension's constructs appended to its constructs.

    The core constructs, items and question numbers are unchanged (the extension's items are numbered after
    the open question), so another case's encoding never depends on an extension.

    Parameters
    ----------
    codebook : Codebook
        The core codebook.
    extension : CodebookExtension
        What :func:`load_extension` read.
    source : str or Path
        The extension file, named in messages.

    Returns
    -------
    Codebook
        With :attr:`Codebook.extension_ids` naming the added constructs.

    Raises
    ------
    emstudy.errors.EmstudyError
        An extension construct or item whose id is already used (by the core or by the extension).

    Examples
    --------
    >>> from emstudy.project import Project
    >>> project = Project.find()  # doctest: +SKIP
    >>> ext = load_extension(project.extension_path("newtown"))  # doctest: +SKIP
    >>> extend_codebook(project.codebook(), ext, source="data/codebooks/newtown.yml").extension_ids  # doctest: +SKIP
    ('drills', 'volunteers')
    """
    from emstudy.errors import EmstudyError

    used = {c.id for c in codebook.all_constructs} | set(codebook.item_ids)
    for k, construct in enumerate(extension.constructs):
        keys = [(f"constructs.{k}.id", construct.id)]
        keys += [(f"constructs.{k}.items.{j}.id", item.id) for j, item in enumerate(construct.items)]
        for key, name in keys:
            if name in used:
                raise EmstudyError(
                    f"{source}: {key}: {name!r} is already used by the core codebook or earlier in this file; "
                    "give the case's own constructs and items ids of their own"
                )
            used.add(name)
    data = codebook.model_dump()
    data["constructs"] = [*data["constructs"], *(c.model_dump() for c in extension.constructs)]
    data["extension_ids"] = (*codebook.extension_ids, *(c.id for c in extension.constructs))
    return Codebook.model_validate(data)


def scales_of(scales: Mapping[str, list[str]] | Codebook) -> dict[str, list[str]]:
    """Accept a codebook or a construct -> items mapping and return the mapping."""
    if isinstance(scales, Codebook):
        return scales.scales()
    return {str(k): list(v) for k, v in scales.items()}
