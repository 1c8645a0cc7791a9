"""papermill pipeline: parameters checked, failures named, previous outputs kept, raw data guarded."""

from __future__ import annotations

import nbformat
import pytest

from emstudy.errors import EmstudyError
from emstudy.runner.pipeline import (
    NotebookTask,
    check_parameters,
    normalise_notebook,
    plan_tasks,
    run_task,
    template_parameters,
)


def test_template_parameters_are_literals(project):
    params = template_parameters(project.notebooks_dir / "01_data_quality.ipynb")
    assert set(params) == {"case_id", "project_root", "seed"}


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
    for case_id in project.case_ids():
        path = project.analysis_dir / case_id / "01_data_quality.ipynb"
        text = path.read_text(encoding="utf-8")
        assert "SYNTHETIC DATA" in text and "合成数据" in text
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
    assert manifest["synthetic"] is True and manifest["raw_checksums"]
    # a changed case file changes the key: the notebook runs again and writes the same bytes
    case_file = project_copy.cases_dir / "yima.yml"
    case_file.write_text(case_file.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert main(args) == 0
    assert "1 notebook(s) executed" in capsys.readouterr().out
    assert output.read_bytes() == first
    assert main([*args, "--force"]) == 0
    assert "1 notebook(s) executed" in capsys.readouterr().out


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
