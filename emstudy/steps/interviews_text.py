"""The words of the interviews step (:mod:`emstudy.steps.interviews`): the reading thresholds of the agreement
coefficients with their sources, their readings, and the triangulation's statement per construct (en/zh).

References
----------
Landis, J. R., & Koch, G. G. (1977). The measurement of observer agreement for categorical data.
*Biometrics*, 33(1), 159-174.
Krippendorff, K. (2004). *Content Analysis: An Introduction to Its Methodology* (2nd ed.), p. 241. Sage.
"""

from __future__ import annotations

import math

from emstudy.fileio import rounded

__all__ = [
    "ALPHA_RELIABLE",
    "ALPHA_TENTATIVE",
    "KAPPA_ACCEPTED",
    "THRESHOLDS",
    "landis_koch",
    "krippendorff_reading",
    "statements",
]

ALPHA_RELIABLE = 0.800
"""Krippendorff (2004, p. 241): rely on variables with alpha at or above this."""
ALPHA_TENTATIVE = 0.667
"""Krippendorff (2004, p. 241): below this, not even tentative conclusions; codes below are flagged."""
KAPPA_ACCEPTED = ("substantial", "almost perfect")
"""Landis & Koch (1977) readings of kappa that are not flagged (kappa > .60)."""
_LANDIS_KOCH = ((0.0, "poor"), (0.20, "slight"), (0.40, "fair"), (0.60, "moderate"), (0.80, "substantial"))
THRESHOLDS = {
    "kappa": {
        "scale": "poor < 0 <= slight <= .20 < fair <= .40 < moderate <= .60 < substantial <= .80 < almost perfect",
        "flag": "kappa <= .60 (moderate or lower; the cut at substantial is this study's convention)",
        "source": "Landis, J. R., & Koch, G. G. (1977). The measurement of observer agreement for categorical "
        "data. Biometrics, 33(1), 159-174.",
    },
    "alpha": {
        "scale": "reliable >= .800; tentative conclusions only >= .667; below .667 unreliable",
        "flag": "alpha < .667",
        "source": "Krippendorff, K. (2004). Content Analysis (2nd ed.), p. 241. Sage; interval: Hayes & "
        "Krippendorff (2007), Communication Methods and Measures, 1(1), 77-89.",
    },
    "ac1": {"scale": "Landis & Koch (1977) words, for comparison with kappa; not flagged", "source": "Gwet (2014)"},
    "percent": {"scale": "no threshold: chance agreement is not removed", "source": ""},
}
"""The reading thresholds and their sources, as ``interviews.json`` records them."""


def landis_koch(value: float) -> str:
    """Landis & Koch's (1977) reading of a kappa-type coefficient.

    Examples
    --------
    >>> landis_koch(0.6), landis_koch(0.61), landis_koch(float("nan"))
    ('moderate', 'substantial', 'not defined')
    """
    if value is None or not math.isfinite(value):
        return "not defined"
    value = float(rounded(float(value)))  # 8 significant digits: noise never picks the side of a bound
    if value < 0:
        return "poor"
    for bound, word in _LANDIS_KOCH[1:]:
        if value <= bound:
            return word
    return "almost perfect"


def krippendorff_reading(value: float) -> str:
    """Krippendorff's (2004, p. 241) reading of alpha: ``reliable``, ``tentative`` or ``unreliable``.

    Examples
    --------
    >>> krippendorff_reading(0.8), krippendorff_reading(0.7), krippendorff_reading(0.66)
    ('reliable', 'tentative', 'unreliable')
    """
    if value is None or not math.isfinite(value):
        return "not defined"
    value = float(rounded(float(value)))
    if value >= ALPHA_RELIABLE:
        return "reliable"
    return "tentative" if value >= ALPHA_TENTATIVE else "unreliable"


_SAY = {
    "en": {
        "survey": {
            True: "the survey rates it below the other places",
            False: "the survey does not rate it below the other places",
        },
        "interviews": {
            True: "the interviews concentrate their problems on it",
            False: "the interviews do not concentrate their problems on it",
        },
        "verdict": {"agreement": "they agree", "divergence": "they diverge"},
        "line": "{label}: {survey}; {interviews} ({p} of {n} segments coded as a problem): {verdict}.",
        "silence": "{label}: too few interview segments speak to it ({n}, fewer than {m}) to compare with the survey.",
    },
    "zh": {
        "survey": {True: "问卷显示该项低于其他地区", False: "问卷未显示该项低于其他地区"},
        "interviews": {True: "访谈中的问题集中于此", False: "访谈中的问题并不集中于此"},
        "verdict": {"agreement": "两者一致", "divergence": "两者不一致"},
        "line": "{label}：{survey}；{interviews}（{n}个片段中{p}个编码为问题）：{verdict}。",
        "silence": "{label}：访谈中涉及该项的片段过少（{n}个，少于{m}个），无法与问卷比较。",
    },
}


def statements(row: dict, min_segments: int) -> dict[str, str]:
    """A triangulation row's ``statement_en`` and ``statement_zh`` (the survey, the interviews, the verdict)."""
    out = {}
    for lang, words in _SAY.items():
        fill = {"label": row[f"construct_{lang}"], "n": row["n_segments"], "p": row["n_problem"], "m": min_segments}
        if row["verdict"] == "silence":
            out[f"statement_{lang}"] = words["silence"].format(**fill)
            continue
        fill |= {key: words[key][row[col]] for key, col in _PARTS}
        out[f"statement_{lang}"] = words["line"].format(**fill)
    return out


_PARTS = (("survey", "survey_weakness"), ("interviews", "interview_problem"), ("verdict", "verdict"))
