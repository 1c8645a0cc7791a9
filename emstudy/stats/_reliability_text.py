"""What the reliability results say about themselves: ``summary()``, ``to_frame()`` and ``to_dict()`` of
:class:`~emstudy.stats.reliability.AlphaResult` (a mixin, so that ``reliability.py`` keeps within the size
rule) and the wording shared with :class:`~emstudy.stats.omega.OmegaResult`.

References
----------
Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests. Psychometrika, 16, 297-334.
Feldt, L. S., Woodruff, D. J., & Salih, F. A. (1987). Statistical inference for coefficient alpha. Applied
Psychological Measurement, 11, 93-103.
Zumbo, B. D., Gadermann, A. M., & Zeisser, C. (2007). Ordinal versions of coefficients alpha and theta for
Likert rating scales. Journal of Modern Applied Statistical Methods, 6, 21-29.
Chalmers, R. P. (2018). On misconceptions and the limited usefulness of ordinal alpha. Educational and
Psychological Measurement, 78, 1056-1071.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__: list[str] = []

#: How each missing-data policy chooses the respondents (the results' ``n`` follows it).
_MISSING = {
    "listwise": "listwise deletion: the respondents who answered every item",
    "pairwise": "pairwise deletion: n is the smallest number of respondents behind a correlation",
}

#: What the correlations are, and what the coefficient is then the reliability of.
_COR = {
    "pearson": "the observed item scores (Pearson): the reliability of their sum score",
    "polychoric": (
        "polychoric correlations: the reliability of the latent continuous responses behind the categories, "
        "not of the observed sum score (Chalmers 2018)"
    ),
}


def _sample_line(n_items: int, n: int, missing: str, cor: str) -> str:
    """``"5 items, n = 2709 (listwise deletion: ...); Pearson correlations ..."``."""
    return f"{n_items} items, n = {n} ({_MISSING.get(missing, missing)}); {_COR.get(cor, cor)}"


class _AlphaText:
    """``summary()``, ``to_frame()`` and ``to_dict()`` of :class:`~emstudy.stats.reliability.AlphaResult`."""

    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict (``alpha, std_alpha, ci_lower, ci_upper, conf_level, ci_method, average_r, n,
        n_items, missing, cor``)."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}  # type: ignore[attr-defined]

    def to_frame(self) -> pd.DataFrame:
        """The result as a one-row table, the fields as columns (as :meth:`to_dict`)."""
        return pd.DataFrame([self.to_dict()])

    def summary(self) -> str:
        """A readable text summary: which alpha (Cronbach's, or ordinal alpha of the polychoric matrix), the sample
        and missing-data policy, alpha with its interval (or why there is none), standardized alpha and the
        average inter-item correlation."""
        d = self.to_dict()
        ordinal = d["cor"] == "polychoric"
        name = "Ordinal alpha (Zumbo, Gadermann & Zeisser 2007)" if ordinal else "Cronbach's alpha"
        if np.isfinite(d["ci_lower"]) and np.isfinite(d["ci_upper"]):
            how = {"feldt": "Feldt", "bootstrap": "bootstrap"}.get(d["ci_method"], d["ci_method"])
            ci = f", {d['conf_level']:.0%} CI [{d['ci_lower']:.3f}, {d['ci_upper']:.3f}] ({how})"
        else:
            ci = " (no confidence interval" + ("; method='bootstrap' gives one)" if ordinal else ")")
        std = (
            "alpha of the correlation matrix, so it is the standardized alpha"
            if ordinal
            else f"standardized alpha = {d['std_alpha']:.3f}"
        )
        return "\n".join(
            [
                f"{name}: {_sample_line(d['n_items'], d['n'], d['missing'], d['cor'])}",
                f"alpha = {d['alpha']:.3f}{ci}",
                f"{std}; average inter-item correlation = {d['average_r']:.3f}",
            ]
        )
