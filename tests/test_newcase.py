"""`emstudy new-case`: scaffold, fill, checksum and run a new case end to end, from files the test writes.

The survey is emstudy's synthetic study for a copy of the Yima case (160 respondents), renamed through a
mapping into a survey with its own headers, labels and '2分30秒'-style durations, and saved as XLSX (the run),
GB18030 CSV, SPSS .sav and Stata .dta with value labels (validated with `emstudy validate --mapping`).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from emstudy.cases import load_case
from emstudy.cli import main
from emstudy.newcase import scaffold_case, todo_keys
from emstudy.simulate import simulate_case

CASE = "testcity"
OWN_LABELS = {"完全不符合": 1, "不太符合": 2, "说不清": 3, "比较符合": 4, "非常符合": 5}
OWN_ROLES = {"公务员": "gov", "企业职工": "ent", "群众": "res"}


def own_survey(project, codebook) -> tuple[pd.DataFrame, dict]:
    """A 160-respondent survey in its own words, and the mapping back to the codebook."""
    yima = project.case("yima", codebook)
    case = yima.model_copy(update={"id": CASE, "sample": yima.sample.model_copy(update={"n": 160})})
    raw, _truth = simulate_case(case, codebook, )
    headers = codebook.export_headers
    to_own = {a.zh: own for own, code in OWN_LABELS.items() for a in codebook.scale.anchors if a.code == code}
    roles = {lvl.zh: own for own, code in OWN_ROLES.items()
             for d in codebook.demographics if d.id == "role" for lvl in d.levels if lvl.code == code}
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
    out["所用时间"] = [f"{int(v)}秒" if int(v) < 300 else f"{int(v) // 60}分{int(v) % 60}秒"
                   for v in raw[headers["duration_s"]]]
    out["提交答卷时间"] = "2024/5/1 10:00:00"
    mapping = {"columns": columns, "labels": OWN_LABELS, "item_labels": {"role": OWN_ROLES},
               "respondent_id": "答卷编号", "duration": {"column": "所用时间", "unit": "auto"},
               "ignore": ["提交答卷时间"]}
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
    from emstudy.pipeline import CROSS_CASE, plan_tasks
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


@pytest.mark.parametrize("fmt", ["csv_gb18030", "sav", "dta"])
def test_other_formats_validate_through_the_mapping(project, codebook, tmp_path, fmt, capsys):
    survey, mapping = own_survey(project, codebook)
    mapping_file = tmp_path / "m.yml"
    mapping_file.write_text(yaml.safe_dump(mapping, allow_unicode=True), encoding="utf-8")
    if fmt == "csv_gb18030":
        path = tmp_path / "survey.csv"
        survey.to_csv(path, index=False, encoding="gb18030")
        assert path.read_bytes()[:3] != b"\xef\xbb\xbf"
    else:
        import pyreadstat

        path = tmp_path / f"survey.{fmt}"
        names = {c: f"v{k}" for k, c in enumerate(survey.columns)}
        frame = survey.rename(columns=names)
        codes = {own: code for own, code in OWN_LABELS.items()}
        value_labels = {}
        for own_col, var in names.items():
            if own_col in mapping["columns"] and mapping["columns"][own_col] in codebook.item_ids:
                frame[var] = frame[var].map(lambda v: codes.get(v, -9 if v == "不清楚" else float("nan") if v in ("", None) else v)).astype(float)
                value_labels[var] = {float(c): own for own, c in OWN_LABELS.items()} | {-9.0: "不清楚"}
        writer = pyreadstat.write_sav if fmt == "sav" else pyreadstat.write_dta
        writer(frame, str(path), variable_value_labels=value_labels)
        from emstudy.io import read_survey

        labelled = read_survey(path)[next(iter(value_labels))]
        assert set(labelled.dropna()) <= {*OWN_LABELS, "不清楚"} and "非常符合" in set(labelled)  # labels applied
        mapping = {**mapping, "columns": {names[k]: v for k, v in mapping["columns"].items()},
                   "item_labels": {}, "respondent_id": names["答卷编号"],
                   "duration": {"column": names["所用时间"], "unit": "auto"}, "ignore": [names["提交答卷时间"]]}
        mapping["columns"].pop(names["身份"])
        mapping["columns"][names["身份"]] = "role"
        mapping["item_labels"] = {"role": OWN_ROLES}
        for name in ("gender", "age", "education", "overall", "suggestion"):
            mapping["columns"][names[codebook.export_headers[name]]] = name
        mapping_file.write_text(yaml.safe_dump(mapping, allow_unicode=True), encoding="utf-8")
    assert main(["--root", str(project.root), "validate", str(path), "--mapping", str(mapping_file)]) == 0
    out = capsys.readouterr().out
    assert f"{len(survey)} row(s)" in out
    assert "unmapped columns: none" in out and "unmapped labels: none" in out and "out-of-range values: none" in out


@pytest.mark.parametrize(("case_id", "message"), [
    ("yima", "case 'yima' already exists (data/cases/yima.yml)"),
    ("../evil", "case id '../evil' is not valid"),
    ("a/b", "case id 'a/b' is not valid"),
])
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
