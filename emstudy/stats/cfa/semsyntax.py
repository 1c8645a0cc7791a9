"""lavaan's model syntax for structural equation models: ``=~``, ``~``, ``~~``, ``~ 1`` and ``:=``.

:func:`parse_sem` turns the model text into a :class:`SEMModel`, a tuple of :class:`Statement`
(one per term, with its pre-multiplied label or fixed value) and the defined parameters. Only
what the engine fits is accepted; anything else raises a one-line ``ValueError`` naming the line.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

__all__ = ["SEMModel", "parse_sem"]  # Statement: one parsed line, reached through SEMModel.statements

_IDENT = re.compile(r"^[A-Za-z_.][A-Za-z0-9_.]*$")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_OPS = (":=", "=~", "~~", "~")
_REFUSED = ("<~", "==", "<", ">", "|", "%")


@dataclass(frozen=True)
class Statement:
    """One term of the model: ``lhs op rhs`` with its modifier.

    Attributes
    ----------
    lhs, op, rhs : str
        As in lavaan's parameter table (``op`` one of ``=~``, ``~``, ``~~``, ``~1``; ``rhs`` is
        ``""`` for an intercept).
    label : str
        Pre-multiplied label (``a*x``), ``""`` if none.
    fixed : float or None
        Pre-multiplied fixed value (``0.5*x``); None if free.
    free_marker : bool
        ``NA*x``: the parameter is free even where lavaan would fix it (a marker loading).
    line : int
        Line of the model text (1-based).
    by_group : tuple of str
        Group-specific modifiers of lavaan's ``c(a1, a2)*x`` (one label, number or ``NA`` per
        group, as written); empty for a modifier shared by all groups.
    """

    lhs: str
    op: str
    rhs: str
    label: str = ""
    fixed: float | None = None
    free_marker: bool = False
    line: int = 0
    by_group: tuple[str, ...] = ()

    def modifier(self, group: int, ngroups: int) -> tuple[str, float | None, bool]:
        """``(label, fixed value, NA flag)`` of this parameter in ``group`` (0-based) of ``ngroups``."""
        if not self.by_group:
            return self.label, self.fixed, self.free_marker
        if len(self.by_group) != ngroups:
            raise ValueError(
                f"model line {self.line}: c({', '.join(self.by_group)}) gives {len(self.by_group)} modifiers of "
                f"'{self.lhs} {self.op} {self.rhs}' for {ngroups} group(s); give one per group"
            )
        return _modifier(self.by_group[group], self.line, f"c(...)*{self.rhs}")


@dataclass(frozen=True)
class SEMModel:
    """A parsed structural equation model.

    Attributes
    ----------
    statements : tuple of Statement
        Every ``=~``, ``~`` and ``~~`` term, in the order written.
    defined : tuple of (str, str)
        ``name := expression`` definitions, in the order written.
    defined_lines : tuple of int
        The model line of each definition.
    """

    statements: tuple[Statement, ...]
    defined: tuple[tuple[str, str], ...] = ()
    defined_lines: tuple[int, ...] = ()

    @property
    def factors(self) -> tuple[str, ...]:
        """Latent variables (left of ``=~``) in order of first appearance."""
        return tuple(dict.fromkeys(s.lhs for s in self.statements if s.op == "=~"))

    @property
    def observed(self) -> tuple[str, ...]:
        """Observed variables in order of first appearance."""
        lat = set(self.factors)
        names = []
        for s in self.statements:
            names += [s.rhs] if s.op == "=~" else [s.lhs] if s.op == "~1" else [s.lhs, s.rhs]
        return tuple(v for v in dict.fromkeys(names) if v not in lat)

    @property
    def labels(self) -> tuple[str, ...]:
        """Parameter labels (group-specific ones included), in order of first appearance."""
        names = [lab for s in self.statements for lab in (s.label, *s.by_group)]
        return tuple(dict.fromkeys(n for n in names if n and n != "NA" and not _NUMBER.match(n)))

    def items_of(self, factor: str) -> tuple[str, ...]:
        """Indicators of ``factor``."""
        return tuple(s.rhs for s in self.statements if s.op == "=~" and s.lhs == factor)


def _modifier(mod: str, lineno: int, term: str) -> tuple[str, float | None, bool]:
    """One modifier: ``NA`` (free), a number (fixed) or a label; returns ``(label, fixed, NA flag)``."""
    if mod == "NA":
        return "", None, True
    if _NUMBER.match(mod):
        return "", float(mod), False
    if _IDENT.match(mod):
        return mod, None, False
    raise ValueError(
        f"model line {lineno}: modifier {mod!r} in {term!r} is not understood "
        "(expected a label, a number, NA or c(...) of these; start() and equal() are not supported)"
    )


def _term(term: str, lineno: int, stmt: str) -> tuple[str, str, float | None, bool, tuple[str, ...]]:
    """Split ``modifier*name``; return the name, label, fixed value, NA flag and group-specific modifiers."""
    parts = [p.strip() for p in term.split("*")]
    if any(not p for p in parts):
        raise ValueError(f"model line {lineno}: empty term in {stmt!r}")
    if len(parts) > 2:
        raise ValueError(
            f"model line {lineno}: more than one modifier in {term!r}; write one of 'a*x', '0.5*x', 'NA*x'"
        )
    name = parts[-1]
    if not _IDENT.match(name):
        raise ValueError(f"model line {lineno}: invalid variable name {name!r} in {stmt!r}")
    if len(parts) == 1:
        return name, "", None, False, ()
    mod = parts[0]
    inner = re.fullmatch(r"c\((.*)\)", mod)
    if inner:
        mods = tuple(m.strip() for m in inner.group(1).split(","))
        for m in mods:
            _modifier(m, lineno, term)
        return name, "", None, False, mods
    return (name, *_modifier(mod, lineno, term), ())


def _check_expression(expr: str, lineno: int) -> None:
    """A defined parameter's expression: numbers, names, + - * / ** and parentheses."""
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError:
        raise ValueError(f"model line {lineno}: cannot read the expression {expr!r} after ':='") from None
    allowed = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Name, ast.Load, ast.Constant)
    allowed += (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.USub, ast.UAdd)
    for node in ast.walk(tree):
        if not isinstance(node, allowed) or (
            isinstance(node, ast.Constant) and not isinstance(node.value, float | int)
        ):
            raise ValueError(
                f"model line {lineno}: {expr!r} after ':=' may use only labels, numbers, + - * / ^ and parentheses"
            )


def _statement(stmt: str, lineno: int) -> tuple[list[Statement], tuple[str, str] | None]:
    for bad in _REFUSED:
        if bad in stmt:
            raise ValueError(f"model line {lineno}: operator {bad!r} is not supported: {stmt!r}")
    op = next((o for o in _OPS if o in stmt), None)
    if op is None:
        raise ValueError(f"model line {lineno}: no operator (=~, ~, ~~ or :=) in {stmt!r}")
    lhs, rhs = (s.strip() for s in stmt.split(op, 1))
    if op == ":=":
        if not _IDENT.match(lhs):
            raise ValueError(f"model line {lineno}: invalid name {lhs!r} before ':='")
        expr = rhs.replace("^", "**")
        _check_expression(expr, lineno)
        return [], (lhs, rhs.replace(" ", ""))
    if any(o in rhs for o in _OPS):
        raise ValueError(f"model line {lineno}: more than one operator in {stmt!r}")
    if not lhs or not rhs:
        raise ValueError(f"model line {lineno}: missing variable on one side of {op!r} in {stmt!r}")
    out = []
    for left in (t.strip() for t in lhs.split("+")):
        if not _IDENT.match(left):
            raise ValueError(f"model line {lineno}: invalid variable name {left!r} before {op!r}")
        for term in rhs.split("+"):
            core = term.strip()
            if op == "~" and core.split("*")[-1].strip() == "1":  # an intercept: y ~ 1, y ~ a*1, y ~ 0.5*1
                _, label, fixed, na, by = _term(core[: core.rfind("1")] + "_", lineno, stmt)
                out.append(Statement(left, "~1", "", label, fixed, na, lineno, by))
                continue
            name, label, fixed, na, by = _term(term, lineno, stmt)
            if op == "~" and name == left:
                raise ValueError(f"model line {lineno}: {left!r} regressed on itself")
            out.append(Statement(left, op, name, label, fixed, na, lineno, by))
    return out, None


def parse_sem(model: str) -> SEMModel:
    """Parse lavaan's model syntax (``=~``, ``~``, ``~~``, ``:=``, labels and fixed values).

    Parameters
    ----------
    model : str
        lavaan model syntax: ``f =~ x1 + x2``, ``f2 ~ a*f1 + x``, ``y1 ~~ y5``, ``y1 ~ 1``
        (intercept), ``ind := a*b``;
        ``#`` starts a comment, statements are on separate lines or separated by ``;``.
        A term may be pre-multiplied by a label (``a*x``: parameters sharing a label are equal),
        a number (``0.5*x``: fixed) or ``NA`` (``NA*x``: free, e.g. a marker loading), or, in a
        model with groups, by one of these per group (``c(a1, a2)*x``, ``c(NA, 0.8)*x``).

    Returns
    -------
    SEMModel

    Raises
    ------
    ValueError
        One line naming the model line: unknown operator (``<~``, ``==``, ``|``...), invalid
        names or modifiers, a parameter written twice, a defined name that is also a label, an
        expression with anything but labels, numbers and arithmetic.

    Examples
    --------
    >>> m = parse_sem("f1 =~ x1 + x2 + x3; f2 =~ x4 + x5 + x6; f2 ~ a*f1")
    >>> m.factors, m.labels
    (('f1', 'f2'), ('a',))
    """
    if not isinstance(model, str):
        raise ValueError(f"model: expected a string in lavaan syntax, got {type(model).__name__}")
    statements: list[Statement] = []
    defined: list[tuple[str, str]] = []
    seen: dict[tuple[str, str, str], int] = {}
    def_lines: dict[str, int] = {}
    for lineno, raw in enumerate(model.splitlines(), start=1):
        for stmt in raw.split("#", 1)[0].split(";"):
            stmt = stmt.strip()
            if not stmt:
                continue
            terms, definition = _statement(stmt, lineno)
            if definition is not None:
                if definition[0] in {d for d, _ in defined}:
                    raise ValueError(f"model line {lineno}: {definition[0]!r} is defined twice")
                defined.append(definition)
                def_lines[definition[0]] = lineno
            for s in terms:
                key = (s.lhs, s.op, s.rhs) if s.op != "~~" else (min(s.lhs, s.rhs), "~~", max(s.lhs, s.rhs))
                if key in seen:
                    raise ValueError(
                        f"model line {lineno}: '{s.lhs} {s.op} {s.rhs}' is already specified on line {seen[key]}"
                    )
                seen[key] = lineno
                statements.append(s)
    if not statements:
        raise ValueError("model: no statement ('f =~ x1 + x2', 'y ~ x', 'a ~~ b') found")
    labels = set(SEMModel(tuple(statements)).labels)
    for name, _expr in defined:
        if name in labels:
            raise ValueError(f"model line {def_lines[name]}: defined parameter {name!r} is also a parameter label")
    return SEMModel(
        statements=tuple(statements), defined=tuple(defined), defined_lines=tuple(def_lines[d] for d, _ in defined)
    )
