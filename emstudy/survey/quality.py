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
    rows = [{"construct": c, "item": i, "missing_share": float(valid[i].isna().mean())}
            for c, items in codebook.scales().items() for i in items]
    return pd.DataFrame(rows).set_index("item")


def answer_distribution(survey: EncodedSurvey, codebook: Codebook) -> pd.DataFrame:
    """Per item, the share of valid respondents giving each code (as answered, before reverse keying)."""
    answers = survey.valid().answers
    codes = range(codebook.scale.min, codebook.scale.max + 1)
    table = {code: (answers == code).sum() / answers.notna().sum() for code in codes}
    return pd.DataFrame(table)


def write_quality_results(survey: EncodedSurvey, codebook: Codebook, results_dir, *, case_id: str,
                          synthetic: bool) -> list:
    """Write ``data_quality.json``, ``missing_by_item.csv`` and ``encoded.csv`` (valid respondents) atomically.

    ``encoded.csv`` holds the reverse-keyed item scores and the background of the respondents kept for
    analysis; later notebooks read it instead of encoding the raw file again.
    """
    from pathlib import Path

    from emstudy.fileio import write_csv, write_json

    results_dir = Path(results_dir)
    summary = quality_summary(survey)
    summary.update({"case": case_id, "synthetic": synthetic})
    valid = survey.valid()
    encoded = pd.concat([valid.background, valid.items], axis=1)
    return [
        write_json(results_dir / "data_quality.json", summary),
        write_csv(results_dir / "missing_by_item.csv", missing_by_item(survey, codebook)),
        write_csv(results_dir / "encoded.csv", encoded, float_format="%g"),
    ]
