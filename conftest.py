"""Makes the reviewers' check read-only: nbval re-executes the notebooks under ``analysis/``, which were
executed by ``emstudy run`` and so write their results; with these variables set they write into a throwaway
folder instead of the working tree (:func:`emstudy.steps.context.output_project`). ``emstudy verify`` sets the
same variables itself.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from emstudy.steps.context import REVIEW_OUTPUTS_ENV, REVIEW_ROOT_ENV

ROOT = Path(__file__).resolve().parent
_made: list[str] = []


def pytest_configure(config) -> None:
    if os.environ.get(REVIEW_ROOT_ENV) is None:
        os.environ[REVIEW_ROOT_ENV] = str(ROOT)
    if os.environ.get(REVIEW_OUTPUTS_ENV) is None:
        _made.append(tempfile.mkdtemp(prefix="emstudy-review-"))
        os.environ[REVIEW_OUTPUTS_ENV] = _made[-1]


def pytest_unconfigure(config) -> None:
    for folder in _made:
        shutil.rmtree(folder, ignore_errors=True)
        if os.environ.get(REVIEW_OUTPUTS_ENV) == folder:
            del os.environ[REVIEW_OUTPUTS_ENV]
