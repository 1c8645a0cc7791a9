"""`emstudy new-case`: scaffold, fill, checksum and run a new case end to end, from files the test writes.

The survey is emstudy's synthetic study for a copy of the Yima case (160 respondents), renamed through a
mapping into a survey with its own headers, labels and '2分30秒'-style durations, and saved as XLSX (the run),
GB18030 CSV, SPSS .sav and Stata .dta with value labels (validated with `emstudy validate --mapping`).
"""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
import yaml
from conftest import personal_data_in_output

from emstudy.cli import main
from emstudy.project import Project
from emstudy.runner.newcase import scaffold_case, todo_keys
from emstudy.survey.cases import load_case
from emstudy.survey.simulate import simulate_case

CASE = "testcity"
OWN_LABELS = {"完全不符合": 1, "不太符合": 2, "说不清": 3, "比较符合": 4, "非常符合": 5}
OWN_ROLES = {"公务员": "gov", "企业职工": "ent", "群众": "res"}


def own_survey(project, codebook) -> tuple[pd.DataFrame, dict]:
    """A 160-respondent survey in its own words, and the mapping back to the codebook."""
    yima = project.case("yima", codebook)
    case = yima.model_copy(update={"id": CASE, "sample": yima.sample.model_copy(update={"n": 160})})
    raw, _truth = simulate_case(case, codebook)
    headers = codebook.export_headers
    to_own = {a.zh: own for own, code in OWN_LABELS.items() for a in codebook.scale.anchors if a.code == code}
    roles = {
        lvl.zh: own
        for own, code in OWN_ROLES.items()
        for d in codebook.demographics
        if d.id == "role"
        for lvl in d.levels
        if lvl.code == code
    }
    out = pd.DataFrame({"答卷编号": raw[headers["respondent_id"]].astype(int)})
    columns = {}
    for k, item in enumerate(codebook.item_ids, start=1):
        own = f"Q{k} {codebook.items[item].zh[:8]}"
        columns[own] = item
        out[own] = raw[headers[item]].map(lambda v: to_own.get(v, v))
    out["身份"] = raw[headers["role"]].map(roles)
    columns["身份"] = "role"
    for name in ("gender", "age", "education", "overall", "suggestion"):
        out[headers[name]] = raw[headers[name]]
    out["所用时间"] = [
        f"{int(v)}秒" if int(v) < 300 else f"{int(v) // 60}分{int(v) % 60}秒" for v in raw[headers["duration_s"]]
    ]
    out["提交答卷时间"] = "2024/5/1 10:00:00"
    mapping = {
        "columns": columns,
        "labels": OWN_LABELS,
        "item_labels": {"role": OWN_ROLES},
        "respondent_id": "答卷编号",
        "duration": {"column": "所用时间", "unit": "auto"},
        "ignore": ["提交答卷时间"],
    }
    return out, mapping


def fill_case_file(path) -> None:
    text = path.read_text(encoding="utf-8").replace("TODO：", "测试").replace("TODO: ", "test ")
    path.write_text(text, encoding="utf-8")


def test_new_case_end_to_end_xlsx(project_copy, codebook, capsys):
    root = project_copy.root
    cli = ["--root", str(root)]
    assert main([*cli, "new-case", CASE]) == 0
    out = capsys.readouterr().out
    assert f"emstudy checksum {CASE}" in out and f"emstudy run --case {CASE}" in out and f"data/raw/{CASE}." in out
    case_file = root / "data" / "cases" / f"{CASE}.yml"
    mapping_file = root / "data" / "mappings" / f"{CASE}.yml"
    assert todo_keys(case_file)  # the template marks what to fill
    load_case(case_file, codebook)  # and is valid as written
    fill_case_file(case_file)
    assert todo_keys(case_file) == []
    survey, mapping = own_survey(project_copy, codebook)
    mapping_file.write_text(yaml.safe_dump(mapping, allow_unicode=True), encoding="utf-8")
    raw = root / "data" / "raw" / f"{CASE}.xlsx"
    survey.to_excel(raw, index=False)

    assert main([*cli, "validate", str(raw), "--mapping", str(mapping_file)]) == 0
    report = capsys.readouterr().out
    assert "unmapped columns: none" in report and "unmapped labels: none" in report

    assert main([*cli, "run", "--case", CASE, "--notebook", "01_data_quality"]) == 2
    assert f"{CASE}.xlsx: not listed in" in capsys.readouterr().err
    assert main([*cli, "checksum", CASE]) == 0
    assert f"{CASE}.xlsx" in (root / "data" / "raw" / "SHA256SUMS").read_text(encoding="utf-8")
    assert main([*cli, "run", "--case", CASE, "--notebook", "01_data_quality", "--jobs", "1"]) == 0
    results = root / "analysis" / CASE / "results"
    assert (root / "analysis" / CASE / "01_data_quality.ipynb").is_file()
    quality = json.loads((results / "data_quality.json").read_text(encoding="utf-8"))
    assert quality["case"] == CASE and quality["n_rows"] == len(survey)
    assert quality["unmapped_columns"] == [] and quality["n_valid"] > 140
    encoded = pd.read_csv(results / "encoded.csv")
    assert len(encoded) == quality["n_valid"] and set(encoded["role"]) == {"gov", "ent", "res"}
    assert encoded["duration_s"].min() > 0

    # the new case joins the comparison: cross-case templates span it
    from emstudy.runner.pipeline import CROSS_CASE, plan_tasks

    tasks = plan_tasks(project_copy, [CASE], all_case_ids=project_copy.case_ids())
    assert all(CASE in t.parameters["case_ids"] for t in tasks if t.case_id == CROSS_CASE)

    # a changed raw file is refused by the run and by checksum
    before = (results / "encoded.csv").read_bytes()
    survey.loc[0, "Q5 " + codebook.items[codebook.item_ids[4]].zh[:8]] = "说不清"
    survey.to_excel(raw, index=False)
    assert main([*cli, "run", "--case", CASE, "--notebook", "01_data_quality", "--force"]) == 2
    assert f"{CASE}.xlsx: contents changed since its checksum was recorded" in capsys.readouterr().err
    assert main([*cli, "checksum", CASE]) == 2
    assert "a different checksum is already recorded" in capsys.readouterr().err
    assert (results / "encoded.csv").read_bytes() == before


def write_in_format(survey: pd.DataFrame, mapping: dict, stem, fmt: str, codebook) -> tuple:
    """Save the survey as ``stem.<ext>`` in ``fmt`` (xlsx, csv_gb18030, sav, dta); returns the path and the
    mapping for that file (SPSS and Stata get short variable names, with the answer labels as value labels)."""
    if fmt == "xlsx":
        path = stem.with_suffix(".xlsx")
        survey.to_excel(path, index=False)
        return path, mapping
    if fmt == "csv_gb18030":
        path = stem.with_suffix(".csv")
        survey.to_csv(path, index=False, encoding="gb18030")
        assert path.read_bytes()[:3] != b"\xef\xbb\xbf"
        return path, mapping
    import pyreadstat

    path = stem.with_suffix(f".{fmt}")
    names = {c: f"v{k}" for k, c in enumerate(survey.columns)}
    frame = survey.rename(columns=names)
    value_labels = {}
    for own_col, var in names.items():
        if own_col in mapping["columns"] and mapping["columns"][own_col] in codebook.item_ids:
            frame[var] = (
                frame[var]
                .map(lambda v: OWN_LABELS.get(v, -9 if v == "不清楚" else float("nan") if v in ("", None) else v))
                .astype(float)
            )
            value_labels[var] = {float(c): own for own, c in OWN_LABELS.items()} | {-9.0: "不清楚"}
    writer = pyreadstat.write_sav if fmt == "sav" else pyreadstat.write_dta
    writer(frame, str(path), variable_value_labels=value_labels)
    from emstudy.survey.readers import read_survey

    labelled = read_survey(path)[next(iter(value_labels))]
    assert set(labelled.dropna()) <= {*OWN_LABELS, "不清楚"} and "非常符合" in set(labelled)  # labels applied
    mapping = {
        **mapping,
        "columns": {names[k]: v for k, v in mapping["columns"].items()},
        "item_labels": {},
        "respondent_id": names["答卷编号"],
        "duration": {"column": names["所用时间"], "unit": "auto"},
        "ignore": [names["提交答卷时间"]],
    }
    mapping["columns"].pop(names["身份"])
    mapping["columns"][names["身份"]] = "role"
    mapping["item_labels"] = {"role": OWN_ROLES}
    for name in ("gender", "age", "education", "overall", "suggestion"):
        mapping["columns"][names[codebook.export_headers[name]]] = name
    return path, mapping


@pytest.mark.parametrize("fmt", ["csv_gb18030", "sav", "dta"])
def test_other_formats_validate_through_the_mapping(project, codebook, tmp_path, fmt, capsys):
    survey, mapping = own_survey(project, codebook)
    path, mapping = write_in_format(survey, mapping, tmp_path / "survey", fmt, codebook)
    mapping_file = tmp_path / "m.yml"
    mapping_file.write_text(yaml.safe_dump(mapping, allow_unicode=True), encoding="utf-8")
    assert main(["--root", str(project.root), "validate", str(path), "--mapping", str(mapping_file)]) == 0
    out = capsys.readouterr().out
    assert f"{len(survey)} row(s)" in out
    assert "unmapped columns: none" in out and "unmapped labels: none" in out and "out-of-range values: none" in out


def add_case(
    root, case_id: str, survey: pd.DataFrame, mapping: dict, fmt: str, codebook, *, scrub_names: tuple[str, ...] = ()
) -> None:
    """What a student does: scaffold the case, fill the case file and the mapping, drop in the raw file,
    record its checksum."""
    cli = ["--root", str(root)]
    assert main([*cli, "new-case", case_id]) == 0
    case_file = root / "data" / "cases" / f"{case_id}.yml"
    fill_case_file(case_file)
    if scrub_names:
        text = case_file.read_text(encoding="utf-8")
        assert "scrub_names: []" in text
        case_file.write_text(
            text.replace("scrub_names: []", f"scrub_names: [{', '.join(scrub_names)}]"), encoding="utf-8"
        )
    path, mapping = write_in_format(survey, mapping, root / "data" / "raw" / case_id, fmt, codebook)
    (root / "data" / "mappings" / f"{case_id}.yml").write_text(
        yaml.safe_dump(mapping, allow_unicode=True), encoding="utf-8"
    )
    assert main([*cli, "checksum", case_id]) == 0


def test_every_format_reaches_the_analysis_as_the_same_data(project_copy, codebook):
    """Only notebook 01 reads the raw file; every later notebook reads its ``encoded.csv``. So a survey that
    gives byte-identical ``encoded.csv`` from XLSX, GB18030 CSV, SPSS and Stata gives identical analyses."""
    root = project_copy.root
    survey, mapping = own_survey(project_copy, codebook)
    encoded = {}
    for fmt in ("xlsx", "csv_gb18030", "sav", "dta"):
        case_id = f"fmt_{fmt.split('_')[0]}"
        add_case(root, case_id, survey, mapping, fmt, codebook)
        assert (
            main(["--root", str(root), "run", "--case", case_id, "--notebook", "01_data_quality", "--jobs", "1"]) == 0
        )
        encoded[fmt] = (root / "analysis" / case_id / "results" / "encoded.csv").read_bytes()
    assert len(pd.read_csv(root / "analysis" / "fmt_xlsx" / "results" / "encoded.csv")) > 140
    assert {fmt: data == encoded["xlsx"] for fmt, data in encoded.items()} == dict.fromkeys(encoded, True)


# Personal data planted in the open answers of the new case: each must be replaced before any output shows it.
PLANTED = {
    "13987654321": "[PHONE]",  # mobile
    "0398-5821234": "[PHONE]",  # landline with area code
    "11010519491231002X": "[ID]",  # resident ID number with a valid check character
    "li.lei@example.org": "[EMAIL]",
    "王小明": "[NAME]",  # listed in the case file's scrub_names
}


def _text_outputs(root):
    for folder in ("analysis", "reports"):
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and path.suffix in {".md", ".html", ".json", ".csv", ".ipynb"}:
                yield path, path.read_text(encoding="utf-8")


def test_new_case_runs_every_notebook_joins_the_comparison_and_leaks_no_personal_data(tmp_path, project, codebook):
    root = tmp_path
    for name in ("data", "notebooks", "analysis", "reports"):
        shutil.copytree(project.root / name, root / name)
    copy = Project(root)
    survey, mapping = own_survey(copy, codebook)
    column = codebook.export_headers["suggestion"]
    texts = [
        "有事请拨13987654321找我",
        "办公室电话0398-5821234",
        "身份证11010519491231002X，请核实",
        "发邮件到li.lei@example.org",
        "王小明书记应急处置很及时",
    ]
    for row in range(40):
        survey.loc[row, column] = texts[row % len(texts)]
    other_cases = project.case_ids()
    before = {p: p.read_bytes() for c in other_cases for p in (root / "analysis" / c).rglob("*") if p.is_file()}
    add_case(root, CASE, survey, mapping, "xlsx", codebook, scrub_names=("王小明",))
    raw = root / "data" / "raw" / f"{CASE}.xlsx"
    raw_bytes = raw.read_bytes()

    assert main(["--root", str(root), "run", "--case", CASE, "--jobs", "2"]) == 0

    # every template ran: per-case ones for the new case, cross-case ones over all six cases
    from emstudy.runner.pipeline import discover_templates, template_parameters

    for template in discover_templates(copy):
        where = CASE if "case_id" in template_parameters(template) else "all"
        assert (root / "analysis" / where / template.name).is_file(), template.name
    means = pd.read_csv(root / "analysis" / "all" / "results" / "construct_means_by_case.csv")
    assert set(means["case"]) == {*other_cases, CASE}
    findings = json.loads((root / "analysis" / CASE / "results" / "findings.json").read_text(encoding="utf-8"))
    assert findings["case"] == CASE and findings["recommendations"]
    assert "open answers" not in findings["missing_steps"] and not findings["missing_steps"]
    summary = (root / "reports" / "summary.md").read_text(encoding="utf-8")
    assert summary.startswith("# Six places compared") and "test case name" in summary
    # the summary's first screen still says that the five study cases are synthetic, and which case is not
    first_screen = "\n".join(summary.splitlines()[:6])
    assert "SYNTHETIC DATA" in first_screen and "From survey files: test case name." in first_screen
    assert "SYNTHETIC DATA" not in (root / "reports" / f"{CASE}.md").read_text(encoding="utf-8")
    assert (root / "reports" / f"{CASE}.html").is_file() and (root / "reports" / f"{CASE}.zh.md").is_file()
    # the other cases' per-case outputs were not touched by a run of the new case
    assert {p: p.read_bytes() for p in before} == before

    # privacy: the answers went through the scrubber (the tags are there) and nothing planted is anywhere
    answers = pd.read_csv(root / "analysis" / CASE / "results" / "open_answers.csv", dtype=str)
    shown = " ".join(answers["suggestion"])
    assert all(tag in shown for tag in set(PLANTED.values()))
    for path, text in _text_outputs(root):
        for planted in PLANTED:
            assert planted not in text and json.dumps(planted)[1:-1] not in text, (path, planted)
        if path.is_relative_to(root / "analysis" / CASE) or path.name.startswith(CASE):
            assert not personal_data_in_output(text), path
    assert raw.read_bytes() == raw_bytes  # the raw file was only read


@pytest.mark.parametrize(
    ("case_id", "message"),
    [
        ("yima", "case 'yima' already exists (data/cases/yima.yml)"),
        ("../evil", "case id '../evil' is not valid"),
        ("a/b", "case id 'a/b' is not valid"),
    ],
)
def test_new_case_refuses_existing_or_path_ids(project_copy, case_id, message, capsys):
    before = sorted(p.relative_to(project_copy.root) for p in project_copy.root.rglob("*"))
    assert main(["--root", str(project_copy.root), "new-case", case_id]) == 2
    err = capsys.readouterr().err
    assert err.startswith("emstudy: error: ") and message in err and err.count("\n") == 1
    assert sorted(p.relative_to(project_copy.root) for p in project_copy.root.rglob("*")) == before


def test_scaffold_writes_only_the_case_and_mapping(project_copy):
    result = scaffold_case(project_copy, "newtown")
    assert result.case_file.name == "newtown.yml" and result.mapping_file.parent.name == "mappings"
    assert not list(project_copy.cases_dir.glob(".*"))
    assert yaml.safe_load(result.mapping_file.read_text(encoding="utf-8"))["columns"] == {}
