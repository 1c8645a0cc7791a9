"""Every results file has one name, used by its writer and its readers."""

from __future__ import annotations

import re
from pathlib import Path

from emstudy.steps import files

PACKAGE = Path(__file__).resolve().parents[1] / "emstudy"


def test_results_file_names_are_written_only_in_the_files_module():
    names = [v for k, v in vars(files).items() if k.isupper() and isinstance(v, str) and "." in v]
    assert len(names) == len(set(names))
    for path in PACKAGE.rglob("*.py"):
        if path.name == "files.py":
            continue
        text = path.read_text(encoding="utf-8")
        for name in names:
            assert not re.search(rf"[\"'/]{re.escape(name)}[\"']", text), f"{path}: {name!r} literal"


def test_cross_case_results_dir(project):
    assert files.cross_case_results_dir(project) == project.analysis_dir / "all" / "results"
    assert project.results_dir(files.CROSS_CASE) == files.cross_case_results_dir(project)
