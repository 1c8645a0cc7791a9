"""Data-quality summaries of an encoded survey: flags, missingness and answer distributions."""

from __future__ import annotations

import pandas as pd

from emstudy.survey.codebook import Codebook
from emstudy.survey.encode import EncodedSurvey

__all__ = ["quality_summary", "missing_by_item", "answer_distribution"]


def quality_summary(survey: EncodedSurvey) -> dict[str, object]:
    """Counts of rows, flagged respondents (by flag) and respondents kept for analysis."""
    flags = survey.flags
    return {
        "source": survey.source,
        "n_rows": int(len(flags)),
        "n_flagged": {name: int(flags[name].sum()) for name in ("straightlining", "speeding", "duplicate")},
        "n_excluded": int(flags["any"].sum()),
        "n_valid": int((~flags["any"]).sum()),
        "rules": dict(survey.rules),
        "unmapped_columns": list(survey.unmapped_columns),
        "missing_share": round(float(survey.valid().items.isna().to_numpy().mean()), 6),
    }


def missing_by_item(survey: EncodedSurvey, codebook: Codebook) -> pd.DataFrame:
    """Share of missing answers per item among valid respondents, with the construct of each item."""
    valid = survey.valid().items
    rows = [
        {"construct": c, "item": i, "missing_share": float(valid[i].isna().mean())}
        for c, items in codebook.scales().items()
        for i in items
    ]
    return pd.DataFrame(rows).set_index("item")


def answer_distribution(survey: EncodedSurvey, codebook: Codebook) -> pd.DataFrame:
    """Per item, the share of valid respondents giving each code (as answered, before reverse keying)."""
    answers = survey.valid().answers
    codes = range(codebook.scale.min, codebook.scale.max + 1)
    table = {code: (answers == code).sum() / answers.notna().sum() for code in codes}
    return pd.DataFrame(table)
