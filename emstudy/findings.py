"""From results to findings and recommendations.

Findings are statements that cite their numbers and record the result they came from (file and key). The
rules read the results that the notebooks wrote under ``analysis/<case>/results/``; they never recompute a
statistic. Recommendations come from the catalogue ``data/recommendations.yml``: a case receives the
entries of its priority constructs, ranked, phrased through the dimension of its own framework.

Priority rule. A construct is a *priority* of a case when the upper end of its 95% confidence interval lies
below the mean of the case's construct means (it is rated clearly worse than the case's system as a whole).
Priorities are ranked by their mean, lowest first. Importance (the standardized driver weight of
notebook 04) does not change the ranking; it is reported beside each priority, because a weak construct
that does not drive perceived effectiveness in the survey may still be a weakness the thesis documents.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from emstudy.cases import Case
from emstudy.codebook import Codebook
from emstudy.errors import EmstudyError
from emstudy.schema import load_yaml_model

__all__ = ["Finding", "Recommendation", "Catalogue", "load_catalogue", "priorities", "recommend",
           "shared_and_particular"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CatalogueEntry(_Strict):
    id: str
    constructs: tuple[str, ...] = Field(min_length=1)
    theses: tuple[str, ...] = Field(min_length=1)
    en: str
    zh: str


class Catalogue(_Strict):
    """The recommendation catalogue (``data/recommendations.yml``)."""

    version: int
    entries: tuple[CatalogueEntry, ...] = Field(min_length=1)

    def for_construct(self, construct: str) -> list[CatalogueEntry]:
        return [e for e in self.entries if construct in e.constructs]


def load_catalogue(path: str | Path, *, codebook: Codebook | None = None,
                   case_ids: Sequence[str] | None = None) -> Catalogue:
    """Load the catalogue; with a codebook and case ids, also check the constructs and theses it names."""
    catalogue = load_yaml_model(path, Catalogue)
    for k, entry in enumerate(catalogue.entries):
        if codebook is not None:
            for c in entry.constructs:
                if c not in codebook.construct_ids:
                    raise EmstudyError(f"{path}: entries.{k}.constructs: unknown construct {c!r}")
        if case_ids is not None:
            for t in entry.theses:
                if t not in case_ids:
                    raise EmstudyError(f"{path}: entries.{k}.theses: unknown case {t!r}")
    if codebook is not None:
        uncovered = [c for c in codebook.construct_ids if not catalogue.for_construct(c)]
        if uncovered:
            raise EmstudyError(f"{path}: no recommendation for construct(s) {', '.join(uncovered)}")
    return catalogue


@dataclass(frozen=True)
class Finding:
    """A statement with its numbers and where they came from."""

    id: str
    kind: str
    en: str
    zh: str
    source: str
    values: Mapping[str, object] = field(default_factory=dict)

    def text(self, lang: str = "en") -> str:
        return self.zh if lang == "zh" else self.en

    def to_dict(self) -> dict[str, object]:
        return {"id": self.id, "kind": self.kind, "en": self.en, "zh": self.zh, "source": self.source,
                "values": dict(self.values)}


@dataclass(frozen=True)
class Recommendation:
    """A catalogue entry given to a case for one of its priority constructs."""

    rank: int
    construct: str
    entry_id: str
    dimension_en: str
    dimension_zh: str
    en: str
    zh: str
    made_by_thesis: bool

    def to_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def priorities(means: pd.DataFrame, *, construct_col: str = "construct", mean_col: str = "mean",
               upper_col: str = "ci_high") -> pd.DataFrame:
    """Priority constructs of a case (see the module docstring for the rule).

    Parameters
    ----------
    means : DataFrame
        One row per core construct with its mean and the upper end of its 95% CI.

    Returns
    -------
    DataFrame
        The priority constructs, lowest mean first, with ``rank``, ``mean``, ``ci_high`` and the reference
        ``case_mean`` (mean of the construct means).
    """
    for col in (construct_col, mean_col, upper_col):
        if col not in means.columns:
            raise ValueError(f"means must have a column {col!r}; got {list(means.columns)}")
    if means.empty:
        raise ValueError("means is empty: expected one row per core construct")
    reference = float(means[mean_col].mean())
    chosen = means[means[upper_col] < reference].sort_values(mean_col, kind="mergesort")
    out = chosen[[construct_col, mean_col, upper_col]].rename(
        columns={construct_col: "construct", mean_col: "mean", upper_col: "ci_high"}).reset_index(drop=True)
    out.insert(0, "rank", range(1, len(out) + 1))
    out["case_mean"] = reference
    return out


def recommend(case: Case, codebook: Codebook, catalogue: Catalogue, priority_constructs: Sequence[str]
              ) -> list[Recommendation]:
    """Catalogue entries for the priority constructs, in priority order, phrased in the case's framework.

    An entry that serves several priority constructs is given once, at its first (highest) priority.
    """
    given: set[str] = set()
    out: list[Recommendation] = []
    for construct in priority_constructs:
        try:
            dim = case.dimension_of(construct)
            dim_en, dim_zh = f"{dim.en} ({case.framework.en})", f"{dim.zh}（{case.framework.zh}）"
        except KeyError:
            label = codebook.construct(construct)
            dim_en = f"outside the thesis's framework: {label.en} (shared instrument)"
            dim_zh = f"论文框架之外：{label.zh}（统一问卷）"
        for entry in catalogue.for_construct(construct):
            if entry.id in given:
                continue
            given.add(entry.id)
            out.append(Recommendation(len(out) + 1, construct, entry.id, dim_en, dim_zh, entry.en, entry.zh,
                                      case.id in entry.theses))
    return out


def shared_and_particular(priorities_by_case: Mapping[str, Sequence[str]]) -> pd.DataFrame:
    """Which priority constructs several places share and which are particular to one.

    Returns one row per construct that is a priority somewhere: the cases, their count, and ``shared``
    (two or more cases) or ``particular``.
    """
    rows: dict[str, list[str]] = {}
    for case_id, constructs in priorities_by_case.items():
        for c in constructs:
            rows.setdefault(c, []).append(case_id)
    table = pd.DataFrame([{"construct": c, "cases": ", ".join(sorted(v)), "n_cases": len(v),
                           "pattern": "shared" if len(v) > 1 else "particular"} for c, v in rows.items()])
    if table.empty:
        return pd.DataFrame(columns=["construct", "cases", "n_cases", "pattern"])
    return table.sort_values(["n_cases", "construct"], ascending=[False, True], kind="mergesort").reset_index(drop=True)
