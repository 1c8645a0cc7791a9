"""README's "Likert items as ordinal" examples run as written (issue 15, new user's finding 14).

The section's ``python`` blocks are doctests: each ``>>>`` line runs from the project root on the committed
synthetic study (``analysis/<case>/results/encoded.csv``) and its printed result must be the one README shows.
The numbers themselves are checked against lavaan and psych by the tests of the modules they come from
(tests/test_stats_cfa_wls*.py, tests/test_stats_reliability.py, tests/test_stats_omega.py); here a change of
API or of a default (``estimator`` with ordered items) that would make README wrong fails.
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TITLE = "## Likert items as ordinal"


def _section(text: str) -> str:
    start = text.index(TITLE)
    end = text.find("\n## ", start + len(TITLE))
    return text[start : end if end >= 0 else len(text)]


def _examples(section: str) -> str:
    return "\n".join(re.findall(r"```python\n(.*?)```", section, flags=re.S))


def _blocks(text: str) -> list[tuple[int, str]]:
    """The section's ``python`` blocks with the README line number of their first line (0-based)."""
    start = text.index(TITLE)
    section = _section(text)
    return [
        (text.count("\n", 0, start + m.start(1)), m.group(1))
        for m in re.finditer(r"```python\n(.*?)```", section, flags=re.S)
    ]


def test_readme_has_the_ordinal_section_with_every_feature():
    section = _section((ROOT / "README.md").read_text(encoding="utf-8"))
    code = _examples(section)
    for call in ("ordered=True", "ordered=[", 'parameterization="theta"', "invariance(", 'cor="polychoric"', "omega("):
        assert call in code, call
    assert "synthetic" in section  # synthetic data are labelled wherever results appear
    assert "lavaan: cfa(model, data, ordered = TRUE" in code  # the R call beside the example


def test_readme_ordinal_examples_run_as_written(monkeypatch):
    blocks = _blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    monkeypatch.chdir(ROOT)  # the examples read analysis/<case>/results/encoded.csv from the project root
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    out: list[str] = []
    names: dict = {}  # one namespace: a block uses what the blocks before it defined
    tried = 0
    for lineno, code in blocks:
        test = doctest.DocTestParser().get_doctest(code, names, "README.md", str(ROOT / "README.md"), lineno)
        result = runner.run(test, out=out.append, clear_globs=False)
        names = test.globs  # DocTest copies the namespace it is given
        tried += result.attempted
        assert result.failed == 0, "".join(out)
    assert len(blocks) == 4 and tried >= 15


def test_the_section_parser_stops_at_the_next_section():
    text = f"# x\n{TITLE}\n```python\n>>> 1 + 1\n2\n```\n## Next\n```python\n>>> 2\n3\n```\n"
    assert _examples(_section(text)) == ">>> 1 + 1\n2\n"
    with pytest.raises(ValueError):
        _section("# no such section\n")
