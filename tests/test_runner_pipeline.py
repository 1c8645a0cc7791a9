"""papermill pipeline: parameters checked, failures named, previous outputs kept, raw data guarded."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from conftest import synthetic_case_ids
from emstudy.errors import EmstudyError
from emstudy.runner.pipeline import (
    KERNEL_START_ATTEMPTS,
    NotebookTask,
    check_parameters,
    normalise_notebook,
    plan_tasks,
    run_task,
    template_parameters,
)


def test_template_parameters_are_literals(project):
    params = template_parameters(project.notebooks_dir / "01_data_quality.ipynb")
    assert set(params) == {"case_id", "project_root", "interactive", "seed"}


def test_unknown_parameter_is_an_error(project):
    with pytest.raises(EmstudyError, match=r"01_data_quality.ipynb: unknown parameter\(s\) colour"):
        check_parameters(project.notebooks_dir / "01_data_quality.ipynb", {"case_id": "yima", "colour": "red"})


def test_parameters_cell_with_code_is_rejected(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("case_id = input()", metadata={"tags": ["parameters"]})]
    path = tmp_path / "bad.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(EmstudyError, match=r"bad.ipynb: parameters cell line 1: case_id must be a literal"):
        template_parameters(path)


def test_plan_covers_every_case(project):
    tasks = plan_tasks(project, project.case_ids())
    per_case = [t for t in tasks if t.case_id != "all"]
    assert {t.case_id for t in per_case} == set(project.case_ids())
    assert all(t.output.parent == project.analysis_dir / t.case_id for t in tasks)
    templates = {p.name for p in project.notebooks_dir.glob("[0-9][0-9]_*.ipynb")}
    assert {t.template.name for t in tasks} == templates


def _failing_template(path):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell("case_id = 'x'", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("print('ok')"),
        nbformat.v4.new_code_cell("raise ValueError('the data say no')"),
    ]
    nbformat.write(nb, path)


def test_failing_cell_names_notebook_and_cell_and_keeps_previous_output(tmp_path):
    template = tmp_path / "99_fail.ipynb"
    _failing_template(template)
    output = tmp_path / "analysis" / "x" / "99_fail.ipynb"
    output.parent.mkdir(parents=True)
    output.write_text("previous good output", encoding="utf-8")
    task = NotebookTask(template, output, "x", {"case_id": "x"})
    with pytest.raises(EmstudyError, match=r"99_fail.ipynb \[x\]: cell \d+ .*failed: ValueError: the data say no"):
        run_task(task)
    assert output.read_text(encoding="utf-8") == "previous good output"
    assert [p.name for p in output.parent.iterdir() if p.name.endswith(".ipynb")] == ["99_fail.ipynb"]


def _flaky_kernel(monkeypatch, failures: int, message: str = "Kernel didn't respond in 60 seconds") -> list:
    """papermill.execute_notebook whose kernel fails to start ``failures`` times, then runs the template."""
    import papermill

    calls = []

    def execute(template, output, **kwargs):
        calls.append(kwargs["cwd"])
        if len(calls) <= failures:
            raise RuntimeError(message)
        nb = nbformat.read(template, as_version=4)
        nbformat.write(nb, output)
        return nb

    monkeypatch.setattr(papermill, "execute_notebook", execute)
    return calls


def _ok_task(tmp_path):
    template = tmp_path / "98_ok.ipynb"
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("case_id = 'x'", metadata={"tags": ["parameters"]})]
    nbformat.write(nb, template)
    output = tmp_path / "analysis" / "x" / "98_ok.ipynb"
    output.parent.mkdir(parents=True)
    output.write_text("previous good output", encoding="utf-8")
    return NotebookTask(template, output, "x", {"case_id": "x"})


def test_a_kernel_that_fails_to_start_is_started_again(tmp_path, monkeypatch):
    # two parallel workers' kernels can race for a port ("Address already in use"): the kernel never answers
    calls = _flaky_kernel(monkeypatch, failures=KERNEL_START_ATTEMPTS - 1)
    task = _ok_task(tmp_path)
    assert run_task(task) == task.output
    assert len(calls) == KERNEL_START_ATTEMPTS
    assert nbformat.read(task.output, as_version=4).cells[0].source == "case_id = 'x'"


def test_a_kernel_that_never_starts_is_one_line_and_keeps_the_previous_output(tmp_path, monkeypatch):
    calls = _flaky_kernel(monkeypatch, failures=KERNEL_START_ATTEMPTS)
    task = _ok_task(tmp_path)
    with pytest.raises(EmstudyError, match=r"98_ok.ipynb \[x\]: the 'python3' kernel failed to start 3 times"):
        run_task(task)
    assert len(calls) == KERNEL_START_ATTEMPTS
    assert task.output.read_text(encoding="utf-8") == "previous good output"
    assert [p.name for p in task.output.parent.iterdir() if p.name.endswith(".ipynb")] == ["98_ok.ipynb"]


def test_a_kernel_that_dies_in_a_cell_is_not_retried(tmp_path, monkeypatch):
    calls = _flaky_kernel(monkeypatch, failures=1, message="Kernel died")  # not a start failure
    with pytest.raises(RuntimeError, match="Kernel died"):
        run_task(_ok_task(tmp_path))
    assert len(calls) == 1


def test_normalise_removes_timings_and_random_ids():
    nb = nbformat.v4.new_notebook()
    nb.metadata["papermill"] = {
        "start_time": "t",
        "duration": 1.0,
        "parameters": {"a": 1},
        "input_path": "/abs/x.ipynb",
    }
    nb.metadata["language_info"] = {"name": "python", "version": "3.11.7"}
    cell = nbformat.v4.new_code_cell(
        "a = 1",
        metadata={
            "tags": ["injected-parameters"],
            "papermill": {"duration": 2},
            "execution": {"iopub.status.busy": "t"},
        },
    )
    nb.cells = [cell]
    out = normalise_notebook(nb, template_name="x.ipynb")
    assert out.metadata["papermill"] == {"parameters": {"a": 1}, "input_path": "notebooks/x.ipynb"}
    assert "version" not in out.metadata["language_info"]
    assert out.cells[0].metadata == {"tags": ["injected-parameters"]}
    assert out.cells[0]["id"] == "injected-parameters"


def test_normalise_joins_stream_chunks_of_a_cell():
    # the kernel may deliver one print loop's text in several stream messages, depending on timing
    from nbformat.v4 import new_output

    cell = nbformat.v4.new_code_cell("for p in paths: print(p)")
    cell.outputs = [
        new_output("stream", name="stdout", text="a.csv"),
        new_output("stream", name="stdout", text="\nb.csv\n"),
        new_output("stream", name="stderr", text="warn\n"),
        new_output("stream", name="stdout", text="c\n"),
        new_output("execute_result", data={"text/plain": "1"}, execution_count=1),
        new_output("stream", name="stdout", text="d\n"),
    ]
    nb = nbformat.v4.new_notebook()
    nb.cells = [cell]
    out = normalise_notebook(nb, template_name="x.ipynb").cells[0].outputs
    assert [(o["output_type"], o.get("name"), o.get("text")) for o in out] == [
        ("stream", "stdout", "a.csv\nb.csv\n"),
        ("stream", "stderr", "warn\n"),
        ("stream", "stdout", "c\n"),
        ("execute_result", None, None),
        ("stream", "stdout", "d\n"),
    ]


def test_executed_notebooks_exist_for_every_case_and_say_synthetic(project):
    """Every case has its executed notebook 01; it says SYNTHETIC DATA (en and zh) exactly when the case's data
    come from the simulator, so a user's own case from a survey file is never labelled synthetic."""
    synthetic = synthetic_case_ids(project)
    for case_id in project.case_ids():
        path = project.analysis_dir / case_id / "01_data_quality.ipynb"
        text = path.read_text(encoding="utf-8")
        labelled = ("SYNTHETIC DATA" in text, "合成数据" in text)
        assert labelled == ((True, True) if case_id in synthetic else (False, False)), case_id
        assert (project.results_dir(case_id) / "data_quality.json").is_file()


def test_unchanged_inputs_are_cached_and_a_changed_input_reruns(project_copy, capsys):
    import json

    from emstudy.cli import main

    root = str(project_copy.root)
    args = ["--root", root, "run", "--case", "yima", "--notebook", "01_data_quality", "--jobs", "1"]
    assert main(args) == 0
    output = project_copy.analysis_dir / "yima" / "01_data_quality.ipynb"
    first = output.read_bytes()
    assert main(args) == 0
    assert "0 notebook(s) executed, 1 unchanged" in capsys.readouterr().out
    manifest = json.loads((project_copy.reports_dir / "manifest.json").read_text(encoding="utf-8"))
    assert [t["status"] for t in manifest["tasks"]] == ["cached"]
    # the manifest calls the study synthetic when every case is (a user's own case makes it not)
    everything_synthetic = synthetic_case_ids(project_copy) == project_copy.case_ids()
    assert manifest["synthetic"] is everything_synthetic and manifest["raw_checksums"]
    # a changed case file changes the key: the notebook runs again and writes the same bytes
    case_file = project_copy.cases_dir / "yima.yml"
    case_file.write_text(case_file.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert main(args) == 0
    assert "1 notebook(s) executed" in capsys.readouterr().out
    assert output.read_bytes() == first
    assert main([*args, "--force"]) == 0
    assert "1 notebook(s) executed" in capsys.readouterr().out
    # a deleted output is never "cached": its producer runs again
    (project_copy.results_dir("yima") / "encoded.csv").unlink()
    assert main(args) == 0
    assert "1 notebook(s) executed" in capsys.readouterr().out
    assert (project_copy.results_dir("yima") / "encoded.csv").is_file() and output.read_bytes() == first


def test_cross_case_templates_run_over_every_case(project_copy):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell("case_ids = []\nproject_root = '../..'", metadata={"tags": ["parameters"]})]
    nbformat.write(nb, project_copy.notebooks_dir / "98_across.ipynb")
    tasks = plan_tasks(project_copy, ["yima"], all_case_ids=project_copy.case_ids())
    across = [t for t in tasks if t.template.name == "98_across.ipynb"]
    assert len(across) == 1 and across[0].case_id == "all"
    assert across[0].parameters["case_ids"] == project_copy.case_ids()
    assert across[0].output == project_copy.analysis_dir / "all" / "98_across.ipynb"


def test_stages_put_cross_case_notebooks_between_case_notebooks(tmp_path):
    from emstudy.runner.pipeline import stages

    def task(name, case):
        return NotebookTask(tmp_path / name, tmp_path / case / name, case, {})

    tasks = [
        task("06_f.ipynb", "a"),
        task("01_q.ipynb", "a"),
        task("01_q.ipynb", "b"),
        task("05_c.ipynb", "all"),
        task("02_r.ipynb", "b"),
        task("07_s.ipynb", "all"),
    ]
    names = [[(t.template.name, t.case_id) for t in stage] for stage in stages(tasks)]
    assert names == [
        [("01_q.ipynb", "a"), ("01_q.ipynb", "b"), ("02_r.ipynb", "b")],
        [("05_c.ipynb", "all")],
        [("06_f.ipynb", "a")],
        [("07_s.ipynb", "all")],
    ]


def test_a_run_prints_progress_but_no_kernel_warnings(project_copy, capfd):
    # ipykernel >= 7.4 warns on every start over unencrypted TCP; the pipeline asks for transport encryption
    from emstudy.cli import main

    args = ["--root", str(project_copy.root), "run", "--case", "yima", "--notebook", "01_data_quality", "--jobs", "1"]
    assert main(args) == 0
    captured = capfd.readouterr()
    assert "1 notebook(s) executed" in captured.out
    assert "WARNING" not in captured.err and "ERROR" not in captured.err and "Traceback" not in captured.err


# -- no stale output: what each task reads and writes decides what reruns ------------------------------------
def _fake_execute(task):
    """Stand-in for run_task: every output is a function of the contents of everything the task reads."""
    import hashlib

    digest = hashlib.sha256(task.template.read_bytes() + repr(sorted(task.parameters.items())).encode())
    for path in sorted(task.reads):
        digest.update(str(path).encode() + (path.read_bytes() if path.is_file() else b"<missing>"))
    for path in (task.output, *task.writes):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{path.name} {digest.hexdigest()}\n", encoding="utf-8")
    return task.output


def _cached_run(project, *, notebooks=None):
    from emstudy.runner.pipeline import TaskCache, run_tasks

    tasks = plan_tasks(project, project.case_ids(), notebooks=notebooks, all_case_ids=project.case_ids())
    cache = TaskCache(project.root, project.cache_dir, "source")
    records = run_tasks(tasks, cache=cache, execute=_fake_execute)
    return tasks, {(r.notebook, r.case_id) for r in records if r.status == "ran"}


def _dependents(tasks, touched):
    """Tasks that read ``touched`` (or use it as template), and, transitively, those reading what they write."""
    todo = {(t.template.name, t.case_id) for t in tasks if touched in t.reads or touched == t.template}
    changed = {p for t in tasks if (t.template.name, t.case_id) in todo for p in (t.output, *t.writes)}
    while True:
        more = {(t.template.name, t.case_id) for t in tasks if changed & set(t.reads)} - todo
        if not more:
            return todo
        todo |= more
        changed |= {p for t in tasks if (t.template.name, t.case_id) in more for p in (t.output, *t.writes)}


def _snapshot(project):
    return {
        p: p.read_bytes()
        for d in (project.analysis_dir, project.reports_dir)
        if d.is_dir()
        for p in d.rglob("*")
        if p.is_file()
    }


def _touch(path):
    if path.parent.name == "notebooks":  # a template stays a valid notebook
        nb = nbformat.read(path, as_version=4)
        nb.cells.append(nbformat.v4.new_markdown_cell("touched"))
        nbformat.write(nb, path)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write("\n# touched\n")


@pytest.mark.parametrize(
    "touched",
    [
        "data/raw/yima.csv",
        "data/cases/wencheng.yml",
        "data/mappings/chaoyang.yml",  # a mapping added to a case that had none
        "data/private/yima.names.txt",
        "data/codebooks/core.yml",
        "data/recommendations.yml",
        "notebooks/02_reliability.ipynb",
        "notebooks/05_compare.ipynb",
    ],
)
def test_touching_an_input_reruns_its_dependents_and_nothing_else(project_copy, touched):
    tasks, ran = _cached_run(project_copy)
    assert len(ran) == len(tasks)  # first run: everything
    before = _snapshot(project_copy)
    assert _cached_run(project_copy)[1] == set()  # second run: everything cached, no byte changed
    assert _snapshot(project_copy) == before
    _touch(project_copy.root / touched)
    tasks = plan_tasks(project_copy, project_copy.case_ids(), all_case_ids=project_copy.case_ids())
    expected = _dependents(tasks, project_copy.root / touched)
    assert expected, f"nothing reads {touched}"
    assert _cached_run(project_copy)[1] == expected
    assert _cached_run(project_copy)[1] == set()


def test_the_declared_dependencies_follow_the_data(project_copy):
    tasks = {(t.template.stem, t.case_id): t for t in plan_tasks(project_copy, project_copy.case_ids())}
    res = project_copy.results_dir
    # 06 and 07 of every case read the cross-case results of 05, which read every case's encoded data
    assert _dependents(tasks.values(), project_copy.root / "data/raw/yima.csv") >= {
        (f"{n}.ipynb", c) for c in project_copy.case_ids() for n in ("06_planning", "07_findings")
    }
    assert res("yima") / "encoded.csv" in tasks[("02_reliability", "yima")].reads
    assert project_copy.reports_dir / "yima.zh.md" in tasks[("07_findings", "yima")].writes
    assert project_copy.reports_dir / "figures/yima_power.png" in tasks[("06_planning", "yima")].writes
    # every figure in both languages, every report in four formats and both languages, the index and its font
    reports = {
        (step, case): sorted(
            p.relative_to(project_copy.reports_dir).as_posix() for p in task.writes if "reports" in p.parts
        )
        for (step, case), task in tasks.items()
    }
    assert reports[("06_planning", "yima")] == ["figures/yima_power.png", "figures/yima_power.zh.png"]
    assert reports[("07_findings", "yima")] == [
        *(f"figures/yima_{kind}{lang}.png" for kind in ("ipa", "profile") for lang in ("", ".zh")),
        *sorted(f"yima{lang}.{ext}" for lang in ("", ".zh") for ext in ("docx", "html", "md", "pdf")),
    ]
    figures = [f"figures/{name}{lang}.png" for name in ("heatmap", "profiles") for lang in ("", ".zh")]
    assert reports[("05_compare", "all")] == figures
    assert reports[("08_summary", "all")] == [
        "fonts/EmstudySansSC-Regular.ttf",
        "fonts/OFL.txt",
        "index.html",
        "index.zh.html",
        *sorted(f"summary{lang}.{ext}" for lang in ("", ".zh") for ext in ("docx", "html", "md", "pdf")),
    ]
    assert {project_copy.reports_dir / f for f in figures} <= set(tasks[("08_summary", "all")].reads)
    assert all(reports[(step, "yima")] == [] for step in ("01_data_quality", "02_reliability", "03_structure"))
    # the plan of a place reads the other places' scores, and the summary reads every plan
    assert res("wencheng") / "encoded.csv" in tasks[("06_planning", "yima")].reads
    assert res("yima") / "planning.json" in tasks[("08_summary", "all")].reads
    assert tasks[("06_planning", "yima")].case_ids == tuple(project_copy.case_ids())
    assert project_copy.root / "data/recommendations.yml" not in tasks[("01_data_quality", "yima")].reads
    assert res("wencheng") / "encoded.csv" not in tasks[("02_reliability", "yima")].reads
    assert tasks[("07_findings", "yima")].case_ids == tuple(project_copy.case_ids())


def test_a_new_shipped_font_reruns_the_study(tmp_path):
    """The library's fingerprint covers the package's data files too: a rebuilt font (the Chinese figures, the PDFs
    and the web font come from it) is a new library, as a changed module is."""
    import shutil

    from emstudy.runner.pipeline import source_fingerprint

    package = tmp_path / "emstudy"
    import emstudy

    shutil.copytree(Path(emstudy.__file__).parent, package, ignore=shutil.ignore_patterns("__pycache__"))
    before = source_fingerprint(package)
    assert source_fingerprint(package) == before
    font = package / "reporting" / "assets" / "EmstudySansSC-Regular.ttf"
    font.write_bytes(font.read_bytes() + b"\0")
    assert source_fingerprint(package) != before
    (package / "reporting" / "__pycache__").mkdir(exist_ok=True)
    after = source_fingerprint(package)
    (package / "reporting" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"compiled")
    assert source_fingerprint(package) == after  # bytecode is not the library


def test_a_new_case_refreshes_every_report_that_compares_cases(project_copy):
    import shutil

    _cached_run(project_copy)
    for suffix in (".csv", ".truth.json"):
        shutil.copy(project_copy.raw_dir / f"yima{suffix}", project_copy.raw_dir / f"newtown{suffix}")
    shutil.copy(project_copy.cases_dir / "yima.yml", project_copy.cases_dir / "newtown.yml")
    _, ran = _cached_run(project_copy)
    per_case = {(f"{n}.ipynb", "newtown") for n in ("01_data_quality", "02_reliability", "03_structure", "04_drivers")}
    findings = {(f"{n}.ipynb", c) for c in project_copy.case_ids() for n in ("06_planning", "07_findings")}
    assert ran == per_case | findings | {("05_compare.ipynb", "all"), ("08_summary.ipynb", "all")}


@pytest.mark.parametrize(
    ("change", "producer"),
    [
        ("analysis/yima/results/encoded.csv", ("01_data_quality.ipynb", "yima")),
        ("analysis/all/results/below_others.csv", ("05_compare.ipynb", "all")),
        ("analysis/wencheng/03_structure.ipynb", ("03_structure.ipynb", "wencheng")),
        ("reports/chaoyang.zh.html", ("07_findings.ipynb", "chaoyang")),
        ("reports/figures/yima_power.png", ("06_planning.ipynb", "yima")),
        ("reports/figures/heatmap.png", ("05_compare.ipynb", "all")),
        ("reports/figures/heatmap.zh.png", ("05_compare.ipynb", "all")),
        ("reports/figures/wencheng_ipa.zh.png", ("07_findings.ipynb", "wencheng")),
        ("reports/yima.zh.pdf", ("07_findings.ipynb", "yima")),
        ("reports/summary.docx", ("08_summary.ipynb", "all")),
        ("reports/index.zh.html", ("08_summary.ipynb", "all")),
        ("reports/fonts/EmstudySansSC-Regular.ttf", ("08_summary.ipynb", "all")),
    ],
)
@pytest.mark.parametrize("how", ["edit", "delete"])
def test_a_missing_or_edited_output_reruns_its_producer(project_copy, change, producer, how):
    _cached_run(project_copy)
    before = _snapshot(project_copy)
    path = project_copy.root / change
    path.unlink() if how == "delete" else _touch(path)
    # the producer writes the same bytes again, so what reads them stays cached
    assert _cached_run(project_copy)[1] == {producer}
    assert _snapshot(project_copy) == before


def test_an_edited_upstream_result_reruns_what_reads_it(project_copy):
    _cached_run(project_copy)
    _touch(project_copy.results_dir("yima") / "encoded.csv")
    later = ["02_reliability", "03_structure", "04_drivers", "05_compare", "06_planning", "07_findings", "08_summary"]
    tasks, ran = _cached_run(project_copy, notebooks=later)
    assert ran == _dependents(tasks, project_copy.results_dir("yima") / "encoded.csv")
    assert ("02_reliability.ipynb", "yima") in ran and ("02_reliability.ipynb", "wencheng") not in ran


def test_every_results_file_has_one_producer():
    from emstudy.runner.depends import STEP_RESULTS
    from emstudy.steps import files

    declared = [name for names in STEP_RESULTS.values() for name in names]
    assert len(declared) == len(set(declared))
    results = {
        getattr(files, n) for n in files.__all__ if isinstance(getattr(files, n), str) and "." in getattr(files, n)
    }
    figures = {f for f in results if f.startswith("figures/")}
    assert results - figures == set(declared)


def test_the_cache_key_covers_the_installed_stack(monkeypatch) -> None:
    """A new numpy (say) reruns the study: the library fingerprint holds every installed distribution's version."""
    import importlib.metadata as md

    from emstudy.runner.pipeline import source_fingerprint

    real = list(md.distributions())
    before = source_fingerprint()

    class Bumped:
        def __init__(self, dist):
            self.metadata, self.version = dist.metadata, dist.version + ".post1"

    bumped = [Bumped(d) if (d.metadata["Name"] or "").lower() == "numpy" else d for d in real]
    assert any(isinstance(d, Bumped) for d in bumped)
    monkeypatch.setattr(md, "distributions", lambda: iter(bumped))
    assert source_fingerprint() != before
    monkeypatch.setattr(md, "distributions", lambda: iter(real))
    assert source_fingerprint() == before
