"""Shared fixtures: the project tree, its codebook and cases.

``EMSTUDY_TEST_ROOT`` names another study tree for the ``project`` fixture (default: this repository), so that
the study-output tests can check a copy in which a user has added a case (tests/test_runner_newcase.py).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from emstudy.project import Project
from emstudy.survey.codebook import Codebook

ROOT = Path(__file__).resolve().parents[1]

#: lavaan's fitMeasures(fit) names that the cfa, sem and FIML tests compare (tests/reference/cfa.R, sem.R, fiml.R)
LAVAAN_FIT_NAMES = (
    "npar",
    "chisq",
    "df",
    "pvalue",
    "baseline.chisq",
    "baseline.df",
    "cfi",
    "tli",
    "logl",
    "unrestricted.logl",
    "aic",
    "bic",
    "bic2",
    "ntotal",
    "rmsea",
    "rmsea.ci.lower",
    "rmsea.ci.upper",
    "rmsea.pvalue",
    "srmr",
)


def central_moment_hessian(eng, x: np.ndarray, g: int, G: np.ndarray, h: np.ndarray) -> np.ndarray:
    """The oracle of ``engine.moment_hessian``: central differences (step 1e-6) of ``<G, dSigma> + <h, dmu>``
    of group ``g``, parameter by parameter."""

    def lin(z: np.ndarray) -> np.ndarray:
        dS, dm = eng.jacobian(z, g)
        return np.einsum("qij,ij->q", dS, G) + dm @ h

    num = np.zeros((len(x), len(x)))
    for b in range(len(x)):
        e = np.zeros(len(x))
        e[b] = 1e-6
        num[:, b] = (lin(x + e) - lin(x - e)) / 2e-6
    return num


@pytest.fixture(scope="session")
def project() -> Project:
    return Project(Path(os.environ.get("EMSTUDY_TEST_ROOT") or ROOT).resolve())


@pytest.fixture(scope="session")
def codebook(project: Project) -> Codebook:
    return project.codebook()


# The seeded synthetic study that ships with the package (data/raw/<case>.csv beside <case>.truth.json).
SYNTHETIC_STUDY = ("chaoyang", "h_district", "wencheng", "xilinguole", "yima")


def synthetic_case_ids(project: Project) -> list[str]:
    """The cases whose raw data come from the simulator (a truth file lies beside them), for the tests that check
    the generator's truth; a user's own case (from a survey file, no truth file) is not among them. Asserts that
    the five study cases are, so that a test over them cannot pass on an empty list."""
    ids = [c for c in project.case_ids() if project.is_synthetic(c)]
    assert set(SYNTHETIC_STUDY) <= set(ids), f"the synthetic study is incomplete: {ids}"
    return ids


def free_case_id(project: Project, wanted: str) -> str:
    """``wanted``, or ``wanted_2``, ``wanted_3``, ... : the first id that is not a case of ``project``, so that a
    test's own case never collides with a case a user has added."""
    taken = set(project.case_ids())
    candidates = (wanted if k == 1 else f"{wanted}_{k}" for k in range(1, len(taken) + 2))
    return next(c for c in candidates if c not in taken)


_NUMBER_WORDS = {
    "en": "zero one two three four five six seven eight nine ten eleven twelve".split(),
    "zh": list("零一二三四五六七八九十"),
}


def number_word(n: int, lang: str = "en") -> str:
    """``n`` as the reports spell a count ("six", "六"; digits beyond twelve or 十): the tests' own list, so that
    a test of a report's wording does not take its expectation from the code it checks."""
    words = _NUMBER_WORDS[lang]
    return words[n] if n < len(words) else str(n)


@pytest.fixture()
def project_copy(tmp_path: Path) -> Project:
    """A copy of the study tree (data and notebooks) that a test may change."""
    for name in ("data", "notebooks"):
        shutil.copytree(ROOT / name, tmp_path / name)
    return Project(tmp_path)


@pytest.fixture()
def saved_figure_texts(monkeypatch) -> dict[str, str]:
    """Spy on emstudy.reporting.figures.save_figure, as the steps call it: file name -> every visible text of
    the figure saved there, joined by "|" with whitespace removed (a label wrapped over lines is found whole)."""
    from matplotlib.text import Text

    import emstudy.reporting.figures as figures

    seen: dict[str, str] = {}
    real = figures.save_figure

    def spy(fig, path, **kwargs):
        saved = real(fig, path, **kwargs)  # drawn, so the tick labels are set
        texts = [t.get_text() for t in fig.findobj(Text) if t.get_visible()]
        seen[Path(path).name] = re.sub(r"\s", "", "|".join(texts))
        return saved

    monkeypatch.setattr(figures, "save_figure", spy)
    return seen


@pytest.fixture(scope="session")
def bfi_scales():
    """Scale scores of psychTools::bfi as in tests/reference/models.R (row means of available items, 7 - x
    reversed), with gender and education; shared by the tests of emstudy.stats.regression, .pooled, .groups."""
    import pandas as pd

    b = pd.read_csv(ROOT / "tests" / "reference" / "data" / "bfi.csv")

    def score(items: list[str], reverse: list[str]) -> pd.Series:
        cols = [7 - b[c] if c in reverse else b[c] for c in items]
        return pd.concat(cols, axis=1).mean(axis=1)

    return pd.DataFrame(
        {
            "agree": score(["A1", "A2", "A3", "A4", "A5"], ["A1"]),
            "consc": score(["C1", "C2", "C3", "C4", "C5"], ["C4", "C5"]),
            "extra": score(["E1", "E2", "E3", "E4", "E5"], ["E1", "E2"]),
            "neuro": score(["N1", "N2", "N3", "N4", "N5"], []),
            "open": score(["O1", "O2", "O3", "O4", "O5"], ["O2", "O5"]),
            "gender": b["gender"],
            "education": b["education"],
        }
    )


@pytest.fixture()
def bfi_keyed():
    """psychTools::bfi with the items that tests/reference/reliability.R reverses scored 7 - x (its
    ``keyed``); shared by the tests of emstudy.stats.reliability, .omega, .factorability, .validity and
    .factoring. Read afresh for each test, so a test cannot change another's data."""
    import json

    import pandas as pd

    data = pd.read_csv(ROOT / "tests" / "reference" / "data" / "bfi.csv")
    for v in json.loads((ROOT / "tests" / "reference" / "reliability.json").read_text())["reversed"]:
        data[v] = 7 - data[v]
    return data


@pytest.fixture()
def ipa_data():
    """Four drivers, one per importance-performance quadrant, and an outcome (one value missing); for the
    tests of emstudy.stats.ipa and emstudy.reporting.figures.plot_ipa."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(11)
    n = 400
    df = pd.DataFrame(
        {
            "high_imp_low_perf": rng.normal(2.5, 0.8, n),
            "high_imp_high_perf": rng.normal(4.0, 0.8, n),
            "low_imp_low_perf": rng.normal(2.6, 0.8, n),
            "low_imp_high_perf": rng.normal(4.1, 0.8, n),
        }
    )
    df["y"] = (
        0.6 * df.high_imp_low_perf + 0.5 * df.high_imp_high_perf + 0.02 * df.low_imp_low_perf + rng.normal(0, 0.5, n)
    )
    df.loc[0, "low_imp_low_perf"] = np.nan
    return df


# Decimal numbers (estimates, p values, fit indices) as results files write them; their digits are not personal
# data, but a long mantissa can be shaped like a phone number (2167.098437627828 holds a landline shape).
_DECIMAL_NUMBER = re.compile(r"(?<![\w.])[-+]?\d*\.\d+(?:[eE][-+]?\d+)?(?![\w.])|(?<![\w.])\d+[eE][-+]?\d+(?![\w.])")


def personal_data_in_output(text: str) -> list:
    """``find_personal_data`` on a generated file's text, with decimal numbers masked (see above)."""
    from emstudy.survey.privacy import find_personal_data

    return find_personal_data(_DECIMAL_NUMBER.sub(lambda m: " " * len(m.group(0)), text))


def fill_case_file(path: Path) -> None:
    """Replace the TODO markers that ``emstudy new-case`` leaves in a case file by test text."""
    text = path.read_text(encoding="utf-8").replace("TODO：", "测试").replace("TODO: ", "test ")
    path.write_text(text, encoding="utf-8")


def new_case_in_copy(project: Project, root: Path, case_id: str) -> list[str]:
    """Copy the study tree (data, notebooks and the committed analysis/ and reports/) to ``root``, scaffold
    ``case_id`` there with ``emstudy new-case`` and fill its case file; returns the CLI's ``--root`` arguments."""
    from emstudy.cli import main

    for name in ("data", "notebooks", "analysis", "reports"):
        shutil.copytree(project.root / name, root / name)
    cli = ["--root", str(root)]
    assert main([*cli, "new-case", case_id]) == 0
    fill_case_file(root / "data" / "cases" / f"{case_id}.yml")
    return cli
