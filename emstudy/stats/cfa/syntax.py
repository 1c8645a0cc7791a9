"""lavaan's measurement syntax: the parsed model and its parser.

Only the measurement part of lavaan's syntax is understood (``factor =~ item1 + item2``); the
names of the group-equality options (lavaan's ``group.equal``) are kept here beside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["MeasurementModel", "parse_model"]

_IDENT = re.compile(r"^[A-Za-z_.][A-Za-z0-9_.]*$")
_EQUAL_OPTIONS = ("loadings", "intercepts", "residuals", "means", "lv.variances", "lv.covariances")


@dataclass(frozen=True)
class MeasurementModel:
    """A parsed measurement model.

    Attributes
    ----------
    factors : tuple of str
        Latent factors, in order of first appearance.
    indicators : tuple of (str, tuple of str)
        For each factor, its indicators in the order written; the first is the marker.
    """

    factors: tuple[str, ...]
    indicators: tuple[tuple[str, tuple[str, ...]], ...]

    @property
    def observed(self) -> tuple[str, ...]:
        """Observed variables in order of first appearance."""
        seen: list[str] = []
        for _, items in self.indicators:
            for it in items:
                if it not in seen:
                    seen.append(it)
        return tuple(seen)

    def items_of(self, factor: str) -> tuple[str, ...]:
        """Indicators of ``factor``."""
        for f, items in self.indicators:
            if f == factor:
                return items
        raise ValueError(f"factor: unknown factor {factor!r}")

    def __repr__(self) -> str:
        lines = [f"  {f} =~ {' + '.join(items)}" for f, items in self.indicators]
        return "MeasurementModel(\n" + "\n".join(lines) + "\n)"


def parse_model(model: str) -> MeasurementModel:
    """Parse lavaan's measurement syntax.

    Parameters
    ----------
    model : str
        Lines ``factor =~ item1 + item2 + ...``; ``#`` starts a comment; statements may be on
        separate lines or separated by ``;``. A factor written on several lines collects all its
        indicators.

    Returns
    -------
    MeasurementModel

    Raises
    ------
    ValueError
        On a syntax error (the message names the line number and the offending token), an
        unsupported operator, or a factor used as an indicator.

    Examples
    --------
    >>> parse_model("visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6").factors
    ('visual', 'textual')

    References
    ----------
    Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. Journal of
    Statistical Software, 48(2), 1-36.
    """
    if not isinstance(model, str):
        raise ValueError(f"model: expected a string in lavaan syntax, got {type(model).__name__}")
    order: list[str] = []
    items: dict[str, list[str]] = {}
    for lineno, raw in enumerate(model.splitlines(), start=1):
        line = raw.split("#", 1)[0]
        for stmt in line.split(";"):
            stmt = stmt.strip()
            if not stmt:
                continue
            if "=~" not in stmt:
                for op in ("~~", "~1", ":=", "==", "<", ">", "~"):
                    if op in stmt:
                        raise ValueError(
                            f"model line {lineno}: operator {op!r} is not supported "
                            f"(only measurement statements 'factor =~ item1 + item2'): {stmt!r}"
                        )
                tok = stmt.split()[0]
                raise ValueError(f"model line {lineno}: expected '=~' after {tok!r}: {stmt!r}")
            if stmt.count("=~") > 1:
                raise ValueError(f"model line {lineno}: more than one '=~' in {stmt!r}")
            lhs, rhs = (s.strip() for s in stmt.split("=~"))
            if not lhs:
                raise ValueError(f"model line {lineno}: missing factor name before '=~'")
            if not _IDENT.match(lhs):
                raise ValueError(f"model line {lineno}: invalid factor name {lhs!r}")
            terms = [t.strip() for t in rhs.split("+")]
            for t in terms:
                if not t:
                    raise ValueError(f"model line {lineno}: empty term (a '+' without an indicator) in {stmt!r}")
                if not _IDENT.match(t):
                    bad = next((c for c in t if not (c.isalnum() or c in "_.")), t)
                    raise ValueError(
                        f"model line {lineno}: invalid token {t!r} (unexpected {bad!r}); "
                        "modifiers such as '1*x1' or labels are not supported"
                    )
            if lhs not in items:
                order.append(lhs)
                items[lhs] = []
            for t in terms:
                if t in items[lhs]:
                    raise ValueError(f"model line {lineno}: indicator {t!r} repeated for {lhs!r}")
                items[lhs].append(t)
    if not order:
        raise ValueError("model: no measurement statement ('factor =~ item1 + item2') found")
    for f in order:
        for fac2 in order:
            if f in items[fac2]:
                raise ValueError(
                    f"model: factor {f!r} is also used as an indicator of {fac2!r}; "
                    "second-order factors are not supported"
                )
    return MeasurementModel(factors=tuple(order), indicators=tuple((f, tuple(items[f])) for f in order))
