"""The package keeps its layers: what may import what, module and function sizes, one vocabulary.

These are the rules of DEVELOPERS.md ("the house") made executable, so that a change that breaks them
fails the test command instead of slowly eroding the structure.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "emstudy"

# Which layer may import which (data flow: survey -> stats -> steps -> reporting; runner and cli on top).
# planning (Monte Carlo power on Dask) sits beside reporting: populations from survey, analyses from stats.
# The top-level modules errors and fileio are the foundation every layer may use.
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "fileio": {"errors"},
    "stats": {"errors", "stats"},
    "survey": {"errors", "fileio", "survey"},
    "project": {"errors", "survey", "project"},
    "reporting": {"errors", "fileio", "stats", "survey", "reporting"},
    "planning": {"errors", "fileio", "stats", "survey", "planning"},
    "steps": {"errors", "fileio", "stats", "survey", "project", "reporting", "planning", "steps"},
    "runner": {"errors", "fileio", "survey", "project", "steps", "planning", "runner"},
    "cli": {"errors", "fileio", "survey", "project", "steps", "planning", "runner", "cli"},
    "__init__": set(),
}
MAX_MODULE_LINES = 700
MAX_FUNCTION_CODE_LINES = 80


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py"))


def _layer(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _imported_layers(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "emstudy" and len(parts) > 1 and parts[1] != "__version__":
                found.add(parts[1])
    return found


def _code_lines(lines: list[str], node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines of code of a function: docstring, comments and blank lines are not counted."""
    skip: set[int] = set()
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant):
        if isinstance(body[0].value.value, str):
            skip = set(range(body[0].lineno, body[0].end_lineno + 1))
    count = 0
    for number in range(node.lineno, node.end_lineno + 1):
        text = lines[number - 1].strip()
        if number not in skip and text and not text.startswith("#"):
            count += 1
    return count


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_layer_imports_only_what_it_may(path: Path) -> None:
    layer = _layer(path)
    assert layer in ALLOWED, f"{path.name}: a new top-level module or sub-package needs a row in ALLOWED"
    wrong = _imported_layers(path) - ALLOWED[layer] - {layer}
    assert not wrong, f"{path.relative_to(PACKAGE)} ({layer}) imports {sorted(wrong)}, against the layering"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_modules_and_public_functions_stay_small(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert len(lines) <= MAX_MODULE_LINES, f"{path.name} has {len(lines)} lines (at most {MAX_MODULE_LINES})"
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_"):
            n = _code_lines(lines, node)
            assert n <= MAX_FUNCTION_CODE_LINES, f"{path.name}:{node.lineno} {node.name}() has {n} lines of code"


def test_the_size_rule_counts_code_not_docstrings() -> None:
    src = 'def f(x):\n    """Doc.\n\n    More.\n    """\n    # comment\n\n    y = x + 1\n    return y\n'
    node = ast.parse(src).body[0]
    assert _code_lines(src.splitlines(), node) == 3


# One vocabulary in arguments: conf_level (never ci=/level=), and in result columns ci_lower/ci_upper, pvalue.
_OLD_WORDS = re.compile(r"""["'](ci_low|ci_high|p_adj|p_holm|p_diff)["']|\bci: float\b""")


@pytest.mark.parametrize("path", _modules(), ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_one_vocabulary(path: Path) -> None:
    hits = [
        f"line {i}: {m.group(0)}"
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        for m in _OLD_WORDS.finditer(line)
    ]
    assert not hits, f"{path.relative_to(PACKAGE)} uses the old vocabulary: {hits}"


def test_holm_is_defined_once() -> None:
    definitions = [
        p.relative_to(PACKAGE).as_posix()
        for p in _modules()
        if re.search(r"def _?holm\b", p.read_text(encoding="utf-8"))
    ]
    assert definitions == ["stats/multitest.py"]


def test_no_wholesale_warning_silencing() -> None:
    """Steps filter warnings by category, never all of them and never by message text."""
    wholesale = re.compile(r"simplefilter\(\s*[\"'](ignore|always)[\"']\s*\)|filterwarnings\([^)]*message=")
    hits = [
        f"{p.relative_to(PACKAGE)}:{i}"
        for p in _modules()
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if wholesale.search(line)
    ]
    assert not hits, f"warnings silenced wholesale or by message text at {hits}"


# Tests are named after what they test: tests/test_<sub-package>_<module>.py for emstudy/<sub-package>/<module>,
# tests/test_<module>[_<aspect>].py for a top-level module or a sub-package's index; a few cover the project as a
# whole.
WHOLE_PROJECT = {"test_architecture", "test_docstrings", "test_lint", "test_packaging", "test_study_outputs"}


def _tested_module(stem: str) -> Path | None:
    """The module (or sub-package) a test file is named after; words after a module name an aspect."""
    words = stem.removeprefix("test_").split("_")
    if (PACKAGE / words[0]).is_dir():  # a sub-package: its index, or one of its modules
        if len(words) == 1:
            return PACKAGE / words[0]
        base, words = PACKAGE / words[0], words[1:]
    else:
        base = PACKAGE
    for cut in range(len(words), 0, -1):  # the longest name that exists wins: open_text before open
        name = "_".join(words[:cut])
        for candidate in (base / f"{name}.py", base / name):
            if candidate.exists():
                return candidate
    return None


@pytest.mark.parametrize("path", sorted(Path(__file__).parent.glob("test_*.py")), ids=lambda p: p.name)
def test_test_files_are_named_after_their_module(path: Path) -> None:
    if path.stem in WHOLE_PROJECT:
        return
    assert _tested_module(path.stem) is not None, f"{path.name}: no emstudy module matches its name"


def test_the_naming_rule_finds_modules_and_rejects_others() -> None:
    assert _tested_module("test_stats_cfa") == PACKAGE / "stats" / "cfa"
    assert _tested_module("test_survey_open_text") == PACKAGE / "survey" / "open_text.py"
    assert _tested_module("test_cli_badinput") == PACKAGE / "cli.py"
    assert _tested_module("test_models") is None and _tested_module("test_stats_nothing") is None
