"""Templates run by hand (JupyterLab's "Run All" from notebooks/) find the project and write under scratch/.

The expensive fixture executes every template in place from ``notebooks/`` of a committed copy of the project,
with the templates' default parameters and the environment's ``python3`` kernel, as JupyterLab would; the tests
check that each ran, that ``git status`` stays clean and no file outside ``scratch/`` was even rewritten, that
``scratch/`` got every result, and that a run by hand computes what ``emstudy run`` computes.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from emstudy.project import SCRATCH_DIR, Project
from emstudy.runner.pipeline import discover_templates, plan_tasks, run_task, template_parameters
from emstudy.steps import files
from emstudy.steps.context import REVIEW_OUTPUTS_ENV, REVIEW_ROOT_ENV, load_all, load_encoded, open_case, output_project

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.fixture(autouse=True)
def _not_a_review(monkeypatch):
    """These tests say where a run writes in normal use: the review variables that the root conftest.py sets for
    the whole session (so that nbval never writes into the tree) are unset here."""
    monkeypatch.delenv(REVIEW_ROOT_ENV, raising=False)
    monkeypatch.delenv(REVIEW_OUTPUTS_ENV, raising=False)


# -- where a notebook reads and writes -------------------------------------------------------------------
def test_a_run_by_hand_writes_under_scratch_and_emstudy_run_under_analysis(project):
    assert output_project(project, interactive=False) is project
    scratch = output_project(project, interactive=True)
    assert scratch.root == project.root and scratch.scratch_dir == project.root / SCRATCH_DIR
    assert scratch.results_dir("yima") == project.root / "scratch" / "yima" / "results"
    assert files.cross_case_results_dir(scratch) == project.root / "scratch" / "all" / "results"
    assert scratch.reports_dir == project.root / "scratch" / "reports"
    # what is read stays where the study keeps it
    assert (scratch.raw_dir, scratch.codebook_path, scratch.cases_dir) == (
        project.raw_dir,
        project.codebook_path,
        project.cases_dir,
    )
    assert project.results_dir("yima") == project.root / "analysis" / "yima" / "results"
    assert project.reports_dir == project.root / "reports"


def test_interactive_must_be_a_bool(project):
    with pytest.raises(TypeError, match=r"interactive: expected True or False, got 'yes'"):
        output_project(project, interactive="yes")


def test_later_steps_read_the_committed_results_and_write_to_scratch(project):
    enc = load_encoded(project.root, "yima", interactive=True)
    assert enc.project == project and len(enc.items) > 0  # read from analysis/yima/results/encoded.csv
    assert enc.results_dir == project.root / "scratch" / "yima" / "results"
    assert load_encoded(project.root, "yima").results_dir == project.results_dir("yima")
    ctx = open_case(project.root, "yima", interactive=True)
    assert ctx.results_dir == project.root / "scratch" / "yima" / "results"


def test_cross_case_defaults_to_every_case_and_writes_where_asked(project):
    cc = load_all(project.root, interactive=True)
    assert list(cc.case_ids) == project.case_ids()
    assert cc.results_dir == project.root / "scratch" / "all" / "results"
    assert cc.reports_dir == project.root / "scratch" / "reports"
    assert load_all(project.root, project.case_ids()[:2]).results_dir == project.analysis_dir / "all" / "results"


def test_project_root_none_finds_the_project_from_notebooks_and_analysis(project, monkeypatch):
    for folder in (project.notebooks_dir, project.analysis_dir / "yima"):
        monkeypatch.chdir(folder)
        assert load_encoded(None, "yima").project == project


def test_outside_a_project_the_error_says_what_a_notebook_should_do(tmp_path, monkeypatch):
    from emstudy.errors import EmstudyError

    monkeypatch.chdir(tmp_path)
    with pytest.raises(EmstudyError, match=r"not inside an emstudy project .*a notebook: open it from the project's"):
        load_encoded(None, "yima")


@pytest.mark.parametrize("name", TEMPLATES)
def test_templates_default_to_a_run_by_hand(project, name):
    params = template_parameters(project.notebooks_dir / name)
    assert params["project_root"] is None and params["interactive"] is True
    if "case_ids" in params:
        assert params["case_ids"] is None  # every case in data/cases/, however many there are


def test_emstudy_run_passes_interactive_false(project):
    tasks = plan_tasks(project, ["yima"], all_case_ids=project.case_ids())
    assert {t.template.name for t in tasks} == set(TEMPLATES)
    for task in tasks:
        assert task.parameters["interactive"] is False and task.parameters["project_root"] == "../.."


# -- every template, run in place from notebooks/ -------------------------------------------------------
def _git(*args: str, cwd: Path) -> str:
    config = ["-c", "user.name=emstudy tests", "-c", "user.email=tests@emstudy.invalid", "-c", "commit.gpgsign=false"]
    done = subprocess.run(["git", *config, *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout


def _committed_copy(dest: Path) -> Project:
    """The project's tracked files (as they are in the working tree) in ``dest``, committed to a new repository."""
    listed = _git("ls-files", "-z", cwd=ROOT).split("\0")
    for name in filter(None, listed):
        if (ROOT / name).is_file():  # a tracked file deleted in the working tree is not copied
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    _git("init", "-q", cwd=dest)
    _git("add", "-A", cwd=dest)
    _git("commit", "-q", "-m", "copy of the project", cwd=dest)
    return Project(dest)


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Inode and modification time of every file outside .git/ and scratch/: an atomic rewrite with the same
    bytes (which git status cannot see) changes both."""
    snap = {}
    for path in root.rglob("*"):
        rel = path.relative_to(root)
        if path.is_file() and rel.parts[0] not in (".git", SCRATCH_DIR):
            stat = path.stat()
            snap[rel.as_posix()] = (stat.st_ino, stat.st_mtime_ns)
    return snap


@dataclass(frozen=True)
class RunByHand:
    copy: Project
    case_id: str
    errors: dict[str, str]  # each template's error, '' when it ran
    status: str  # git status --porcelain after the run by hand
    touched: list[str]  # files outside scratch/ and .git/ created, removed or rewritten by the run by hand


#: What notebook 01 writes; the fixture also runs it as `emstudy run` does, to compare.
DATA_QUALITY_FILES = (
    files.ENCODED,
    files.DATA_QUALITY,
    files.MISSING_BY_ITEM,
    files.OPEN_ANSWERS,
    files.OPEN_ANSWER_COUNTS,
)


@pytest.fixture(scope="module")
def run_by_hand(tmp_path_factory) -> RunByHand:
    """Execute every template from notebooks/ of a committed copy with its defaults (what JupyterLab's Run All
    does, without saving the notebook), record git status, then run notebook 01 for the same case as
    `emstudy run` does (into the copy's analysis/)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs git and a git checkout of the project")
    copy = _committed_copy(tmp_path_factory.mktemp("interactive"))
    before = _snapshot(copy.root)
    errors: dict[str, str] = {}
    for template in discover_templates(copy):
        nb = nbformat.read(template, as_version=4)
        client = NotebookClient(
            nb,
            kernel_name="python3",
            timeout=600,
            resources={"metadata": {"path": str(copy.notebooks_dir)}},  # the kernel's working directory
            extra_arguments=["--IPKernelApp.log_level=CRITICAL"],
        )
        try:
            client.execute()
            errors[template.name] = ""
        except CellExecutionError as exc:
            errors[template.name] = str(exc).strip().splitlines()[-1]
    status = _git("status", "--porcelain", "--untracked-files=all", cwd=copy.root)
    after = _snapshot(copy.root)
    touched = sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
    case_id = template_parameters(copy.notebooks_dir / TEMPLATES[0])["case_id"]
    (task,) = plan_tasks(copy, [case_id], notebooks=["01_data_quality"])
    run_task(task)
    return RunByHand(copy, case_id, errors, status, touched)


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_template_runs_all_from_notebooks(run_by_hand, name):
    error = run_by_hand.errors[name]
    assert error == "", f"{name} fails when run by hand from notebooks/: {error}"


def test_a_run_by_hand_leaves_git_status_clean(run_by_hand):
    assert run_by_hand.status == ""
    assert run_by_hand.touched == []  # not even rewritten with the same bytes
    assert _git("check-ignore", "scratch/x", cwd=run_by_hand.copy.root).strip() == "scratch/x"


def test_a_run_by_hand_writes_every_result_under_scratch(run_by_hand):
    copy, case_id, scratch = run_by_hand.copy, run_by_hand.case_id, run_by_hand.copy.scratch()
    for case in (case_id, files.CROSS_CASE):
        committed = sorted(p.name for p in copy.results_dir(case).iterdir())
        written = (
            sorted(p.name for p in scratch.results_dir(case).iterdir()) if scratch.results_dir(case).is_dir() else []
        )
        assert written == committed, f"scratch/{case}/results"
    reports = {p.relative_to(scratch.reports_dir).as_posix() for p in scratch.reports_dir.rglob("*") if p.is_file()}
    expected = {name for stem in (case_id, files.SUMMARY_REPORT) for name in files.report_files(stem)}
    assert {f"{case_id}{ext}" for ext in (".docx", ".pdf", ".zh.docx", ".zh.pdf")} <= expected
    expected |= {*files.index_pages(), *files.web_font_files()}
    for lang in ("en", "zh"):
        expected |= {files.case_profile_figure(case_id, lang), files.case_power_figure(case_id, lang)}
        expected |= {files.profiles_figure(lang), files.heatmap_figure(lang)}
    assert expected <= reports


def test_a_run_by_hand_computes_what_emstudy_run_computes(run_by_hand):
    copy, case_id = run_by_hand.copy, run_by_hand.case_id
    for name in DATA_QUALITY_FILES:
        by_hand = copy.scratch().results_dir(case_id) / name
        assert by_hand.read_bytes() == (copy.results_dir(case_id) / name).read_bytes(), name
