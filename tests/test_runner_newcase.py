"""`emstudy new-case`: scaffold, fill, checksum and run a new case end to end, from files the test writes.

The survey is emstudy's synthetic study for a copy of the Yima case (160 respondents), renamed through a
mapping into a survey with its own headers, labels and '2分30秒'-style durations, and saved as XLSX (the run),
GB18030 CSV, SPSS .sav and Stata .dta with value labels (validated with `emstudy validate --mapping`).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import ROOT, fill_case_file, free_case_id, number_word, personal_data_in_output, synthetic_case_ids
from emstudy.cli import main
from emstudy.project import Project
from emstudy.runner.newcase import privacy_warnings, scaffold_case, todo_keys
from emstudy.steps import files
from emstudy.survey.cases import load_case
from emstudy.survey.privacy import read_names_file
from emstudy.survey.simulate import simulate_case

CASE = free_case_id(Project(ROOT), "testcity")  # the test's own case: never one that a user has added
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
    if scrub_names:  # in the git-ignored names file that new-case wrote, never in the committed case file
        names_file = root / "data" / "private" / f"{case_id}.names.txt"
        assert names_file.read_text(encoding="utf-8").startswith("# Names to scrub")
        with names_file.open("a", encoding="utf-8") as out:
            out.write("\n".join(scrub_names) + "\n")
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
    "王小明": "[NAME]",  # listed in data/private/<case>.names.txt
}


def _document_text(path):
    """The text of a Word report (paragraphs and table cells) or a PDF report (every page's extracted text)."""
    if path.suffix == ".docx":
        import docx

        document = docx.Document(str(path))
        cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
        return "\n".join([*(p.text for p in document.paragraphs), *cells])
    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(str(path)).pages)


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
    title = f"# {number_word(len(other_cases) + 1).capitalize()} places compared"  # "Six" beside the five
    assert summary.startswith(title) and "test case name" in summary
    # the summary's first screen still says that the five study cases are synthetic, and which cases are not
    assert synthetic_case_ids(project)
    own = [copy.case(c, codebook).name.en for c in copy.case_ids() if not copy.is_synthetic(c)]
    assert "test case name" in own  # the new case and any a user added before it, in the order of their ids
    first_screen = "\n".join(summary.splitlines()[:6])
    assert "SYNTHETIC DATA" in first_screen and f"From survey files: {', '.join(own)}." in first_screen
    assert "SYNTHETIC DATA" not in (root / "reports" / f"{CASE}.md").read_text(encoding="utf-8")
    assert (root / "reports" / f"{CASE}.html").is_file() and (root / "reports" / f"{CASE}.zh.md").is_file()
    made = [*files.report_files(CASE), *(files.case_profile_figure(CASE, lang) for lang in ("en", "zh"))]
    assert [name for name in made if not (root / "reports" / name).is_file()] == []  # every format, both languages
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
    for path in sorted(p for p in (root / "reports").iterdir() if p.suffix in {".docx", ".pdf"}):
        text = _document_text(path)  # the text Word and a PDF reader show
        assert [planted for planted in PLANTED if planted not in text] == list(PLANTED), path
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


def test_scaffold_writes_only_the_case_the_mapping_and_the_names_file(project_copy):
    before = {p for p in project_copy.root.rglob("*") if p.is_file()}
    result = scaffold_case(project_copy, "newtown")
    assert result.case_file.name == "newtown.yml" and result.mapping_file.parent.name == "mappings"
    assert result.names_file == project_copy.root / "data" / "private" / "newtown.names.txt"
    assert {p for p in project_copy.root.rglob("*") if p.is_file()} - before == {
        result.case_file,
        result.mapping_file,
        result.names_file,
    }
    assert not list(project_copy.cases_dir.glob(".*"))
    assert yaml.safe_load(result.mapping_file.read_text(encoding="utf-8"))["columns"] == {}
    # names are personal data: the case file has no place for them, the names file lists none yet
    assert "scrub_names" not in yaml.safe_load(result.case_file.read_text(encoding="utf-8"))
    assert read_names_file(result.names_file) == ()
    assert "data/private/" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()


# -- README "Adding a case", step by step, with a survey that is not laid out like the codebook ----------------
USER_CASE = "myplace"  # the id README uses
USER_NAMES = ("王小明",)  # listed in data/private/myplace.names.txt and planted in the answers


def readme_adding_a_case() -> list[list[str]]:
    """The commands of README's "Adding a case" block, in order, without their comments."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("## Adding a case", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    return [shlex.split(line.split("#", 1)[0]) for line in block.splitlines() if line.split("#", 1)[0].strip()]


def user_survey(project, codebook) -> tuple[pd.DataFrame, dict]:
    """A 200-respondent XLSX-style export in the survey's own layout: residents only (one role), its own
    numbering and order of the questions (constructs in reverse order, so no number agrees with the
    codebook's), its own answer labels and headers, and three questions of its own; with its mapping."""
    yima = project.case("yima", codebook)
    sample = yima.sample.model_copy(update={"n": 200, "roles": {"res": 1.0}})
    raw, _truth = simulate_case(yima.model_copy(update={"id": USER_CASE, "sample": sample}), codebook)
    headers = codebook.export_headers
    to_own = {a.zh: own for own, code in OWN_LABELS.items() for a in codebook.scale.anchors if a.code == code}
    out = pd.DataFrame({"编号": raw[headers["respondent_id"]].astype(int)})
    out["答题用时"] = [f"{int(v) // 60}分{int(v) % 60}秒" for v in raw[headers["duration_s"]]]
    columns = {"身份": "role", "性别": "gender", "年龄段": "age", "文化程度": "education"}
    for own, name in columns.items():
        out[own] = raw[headers[name]]
    resident = next(lvl.zh for d in codebook.demographics if d.id == "role" for lvl in d.levels if lvl.code == "res")
    assert set(out["身份"]) == {resident}  # one role only
    out["身份"] = "社区居民"
    rng = np.random.default_rng(12)
    extra = {
        "您参加过社区组织的应急演练吗？": lambda: rng.choice(["参加过", "没有参加过"], len(out)),
        "您家中备有应急包吗？": lambda: rng.choice(["有", "没有"], len(out)),
        "您对社区应急避难场所的满意度": lambda: rng.choice(list(OWN_LABELS), len(out)),
    }
    own_extra = []
    number = 0
    scales = codebook.scales(include_outcome=True)
    for k, construct in enumerate(reversed(list(scales))):
        for item in scales[construct]:
            number += 1
            own = f"{number}.{codebook.items[item].zh}"
            assert number != codebook.question_numbers[item]  # a number of its own
            columns[own] = item
            out[own] = raw[headers[item]].map(lambda v: to_own.get(v, v))
        if k % 5 == 1:  # questions of its own between the blocks
            text, draw = list(extra.items())[len(own_extra)]
            number += 1
            own_extra.append(f"{number}.{text}")
            out[own_extra[-1]] = draw()
    out["总体而言，您如何评价本地的应急管理工作"] = raw[headers["overall"]]
    out["您的意见和建议"] = raw[headers["suggestion"]]
    columns |= {"总体而言，您如何评价本地的应急管理工作": "overall", "您的意见和建议": "suggestion"}
    assert len(own_extra) == len(extra)
    # the item columns are listed so that a test can check them against what `emstudy map FILE` proposes
    # TODO(issue 12, item 7): declare the three questions of its own as a case-level codebook extension that
    # its notebooks analyse, instead of listing them under `ignore:`.
    mapping = {
        "columns": columns,
        "labels": OWN_LABELS,
        "item_labels": {"role": {"社区居民": "res"}},
        "respondent_id": "编号",
        "duration": {"column": "答题用时", "unit": "auto"},
        "ignore": own_extra,
    }
    return out, mapping


def fill_user_case(path) -> None:
    """What a student writes into the scaffolded case file (the source is the issue's example)."""
    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    case |= {
        "name": {"en": "Hexi District", "zh": "河西区"},
        "place": {"en": "Hexi District of a prefecture-level city", "zh": "某地级市河西区", "level": "district"},
        "event": {"en": "The July 2023 floods", "zh": "2023年7月洪涝灾害", "date": None, "note": None},
        "hazards": ["flood"],
        "source_abstract": "Student's own survey",
        "problems": [
            {"en": "Warnings do not reach residents.", "zh": "预警信息不能及时传达到居民。", "constructs": ["warning"]},
            {"en": "Residents are not trained.", "zh": "居民缺乏应急培训。", "constructs": ["training"]},
        ],
        "weaknesses": ["warning"],
        "recommendations": [
            {"en": "Send flood warnings by text message.", "zh": "通过短信发送洪水预警。", "constructs": ["warning"]},
            {
                "en": "Hold an evacuation drill every spring.",
                "zh": "每年春季开展疏散演练。",
                "constructs": ["training"],
            },
        ],
        "sample": {"n": 200, "roles": {"res": 1.0}},
    }
    dims = {
        "prevention": ["plan", "warning", "training", "rules"],
        "response": ["organisation", "response", "information", "teams", "resources"],
        "recovery": ["recovery", "participation"],
    }
    zh = {"prevention": "预防", "response": "处置", "recovery": "恢复"}
    case["framework"] = {
        "id": "hexi_cycle",
        "en": "Prevention, response and recovery",
        "zh": "预防、处置与恢复",
        "dimensions": [{"id": k, "en": k.title(), "zh": zh[k], "constructs": v} for k, v in dims.items()],
    }
    path.write_text(yaml.safe_dump(case, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _emstudy(root, args: list[str]) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "emstudy.cli", "--root", str(root), *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert done.returncode == 0, (args, done.stderr[-2000:])
    return done


def test_adding_a_case_as_the_readme_says_keeps_the_study_tests_passing(tmp_path, project, codebook):
    """README "Adding a case" done to the letter in a copy of the project with an XLSX export (own order and
    numbers, questions of its own, residents only); then a plain `emstudy run`, after which the study-output
    tests pass on the copy, the new case's notebooks pass nbval, and every report counts the other places right
    (five beside the synthetic study). The case gets README's id, or another when a user's case has it."""
    case_id = free_case_id(project, USER_CASE)
    root = tmp_path / "proj"
    for name in ("data", "notebooks", "analysis", "reports"):
        shutil.copytree(project.root / name, root / name)
    commands = readme_adding_a_case()
    assert [c[:2] for c in commands] == [
        ["emstudy", "new-case"],
        ["emstudy", "map"],
        ["emstudy", "validate"],
        ["emstudy", "checksum"],
        ["emstudy", "run"],
    ]
    assert all(USER_CASE in " ".join(c) for c in commands)
    commands = [[arg.replace(USER_CASE, case_id) for arg in command] for command in commands]
    survey, mapping = user_survey(project, codebook)
    column = "您的意见和建议"
    for row in range(0, 60, 3):
        survey.loc[row, column] = f"{USER_NAMES[0]}书记应急处置很及时"

    _emstudy(root, commands[0][1:])  # new-case
    fill_user_case(root / "data" / "cases" / f"{case_id}.yml")  # "fill the case file"
    assert todo_keys(root / "data" / "cases" / f"{case_id}.yml") == []
    with (root / "data" / "private" / f"{case_id}.names.txt").open("a", encoding="utf-8") as out:
        out.write("\n".join(USER_NAMES) + "\n")
    survey.to_excel(root / "data" / "raw" / f"{case_id}.xlsx", index=False)  # "then put the export at ..."
    _emstudy(root, commands[1][1:])  # map: column -> item by header text (the numbers disagree with the codebook's)
    mapping_file = root / "data" / "mappings" / f"{case_id}.yml"
    proposed = yaml.safe_load(mapping_file.read_text(encoding="utf-8"))["columns"]
    own_items = {k: v for k, v in mapping["columns"].items() if v in codebook.items}
    assert {k: v for k, v in proposed.items() if v in codebook.items} == own_items
    # "review the proposal": map the columns it left unmatched, add the survey's own labels and what to ignore
    reviewed = {k: v for k, v in mapping["columns"].items() if v not in codebook.items} | proposed
    mapping_file.write_text(yaml.safe_dump(mapping | {"columns": reviewed}, allow_unicode=True), encoding="utf-8")
    report = _emstudy(root, commands[2][1:]).stdout  # validate
    assert "unmapped columns: none" in report and "unmapped labels: none" in report
    for command in commands[3:]:  # checksum, run --case
        _emstudy(root, command[1:])
    _emstudy(root, ["run"])  # the plain run that follows refreshes the other places' reports

    for template in sorted((root / "notebooks").glob("0*.ipynb")):
        per_case = template.name not in {"05_compare.ipynb", "08_summary.ipynb"}
        assert (root / "analysis" / (case_id if per_case else "all") / template.name).is_file(), template.name
    en = (root / "reports" / f"{case_id}.md").read_text(encoding="utf-8")
    zh = (root / "reports" / f"{case_id}.zh.md").read_text(encoding="utf-8")
    assert "This report analyses the survey of Hexi District" in en and "Source: Student's own survey." in en
    assert "thesis" not in en.split("## ", 2)[1] and "Student" not in zh and "本报告分析河西区" in zh
    assert "Send flood warnings by text message." in en and "每年春季开展疏散演练。" in zh
    n_others = len(project.case_ids())  # every place but the one a sentence is about
    count = r"(zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\d+)"
    for path in sorted((root / "reports").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        said = re.findall(rf"\bother {count} places|\b{count} other places", text)
        assert {a or b for a, b in said} <= {number_word(n_others)}, path.name
        assert set(re.findall(r"其他([零一二三四五六七八九十]|\d+)地", text)) <= {number_word(n_others, "zh")}, (
            path.name
        )
    for path, text in _text_outputs(root):
        assert all(name not in text for name in USER_NAMES), path

    env = {**os.environ, "EMSTUDY_TEST_ROOT": str(root)}
    pytest_cmd = [sys.executable, "-m", "pytest", "-q", "-o", "addopts=", "-p", "no:cacheprovider"]
    outputs = subprocess.run(
        [*pytest_cmd, str(ROOT / "tests" / "test_study_outputs.py")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert outputs.returncode == 0 and "skipped" not in outputs.stdout, outputs.stdout[-3000:]
    nbval = subprocess.run(
        [*pytest_cmd, "--nbval", str(root / "analysis" / case_id)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert nbval.returncode == 0, nbval.stdout[-3000:]


# -- names to scrub: kept out of tracked files ---------------------------------------------------------------
def _git(root, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_run_warns_in_one_line_when_a_tracked_file_holds_a_name_to_scrub(project_copy, capsys):
    root = project_copy.root
    (root / ".gitignore").write_text("data/private/\n", encoding="utf-8")
    names = root / "data" / "private" / "yima.names.txt"
    names.parent.mkdir(exist_ok=True)  # a user's case may have its names file there already
    names.write_text("# interviewees\n王小明\n", encoding="utf-8")
    (root / "data" / "interviews.md").write_text("访谈对象：王小明（应急局）\n", encoding="utf-8")
    (root / "data" / "untracked.md").write_text("王小明\n", encoding="utf-8")
    _git(root, "init", "-q")
    _git(root, "add", ".gitignore", "data/interviews.md", "data/cases", "data/raw")
    lines = privacy_warnings(project_copy, project_copy.case_ids())
    assert lines == [
        "data/interviews.md: tracked by git and holds a name listed to scrub (data/private/*.names.txt); names "
        "are personal data: remove them from the file, or stop tracking it (`git rm --cached data/interviews.md`)"
    ]
    # the old key is still read, with a warning that says where the names go; its case file is not named twice
    case_file = root / "data" / "cases" / "yima.yml"
    case_file.write_text(case_file.read_text(encoding="utf-8") + "scrub_names: [李四]\n", encoding="utf-8")
    (root / "data" / "interviews.md").write_text("访谈对象：李四\n", encoding="utf-8")
    _git(root, "add", "data/cases", "data/interviews.md")
    lines = privacy_warnings(project_copy, project_copy.case_ids())
    assert lines[0].startswith("data/cases/yima.yml: scrub_names: names of people are personal data")
    assert "move them to data/private/yima.names.txt" in lines[0]
    assert lines[1].startswith("data/interviews.md: tracked by git") and len(lines) == 2
    assert all("李四" not in line and "王小明" not in line for line in lines)  # the warning does not repeat them

    args = ["--root", str(root), "run", "--case", "yima", "--notebook", "01_data_quality", "--jobs", "1"]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert [line for line in err.splitlines() if line.startswith("emstudy: warning: ")] == [
        f"emstudy: warning: {line}" for line in lines
    ]
    # the old key's name and the names file's both reach the scrubber of notebook 01
    from emstudy.steps.context import CaseContext, read_raw
    from emstudy.survey.encode import encode
    from emstudy.survey.open_text import open_answers

    codebook = project_copy.codebook()
    raw = read_raw(project_copy.raw_path("yima")).head(40)
    raw[codebook.export_headers["suggestion"]] = "王小明和李四"
    case = project_copy.case("yima", codebook)
    ctx = CaseContext(project_copy, case, codebook, project_copy.raw_path("yima"), encode(raw, codebook), True)
    assert set(open_answers(ctx, valid_only=False)["suggestion"]) == {"[NAME]和[NAME]"}


def test_without_git_the_tracked_file_check_is_skipped(project_copy):
    root = project_copy.root
    (root / "data" / "private").mkdir(exist_ok=True)
    (root / "data" / "private" / "yima.names.txt").write_text("王小明\n", encoding="utf-8")
    (root / "data" / "interviews.md").write_text("王小明\n", encoding="utf-8")
    assert privacy_warnings(project_copy, project_copy.case_ids()) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe\x00name", "not UTF-8 text (byte 0); save it as UTF-8, one name per line"),
        ("王[小]明\n".encode(), "line 1: a name may not contain '[' or ']'; remove the brackets"),
    ],
)
def test_a_bad_names_file_is_named_in_one_line(project_copy, content, message, capsys):
    names = project_copy.root / "data" / "private" / "yima.names.txt"
    names.parent.mkdir(exist_ok=True)  # a user's case may have its names file there already
    names.write_bytes(content)
    assert main(["--root", str(project_copy.root), "run", "--case", "yima", "--notebook", "01_data_quality"]) == 2
    err = capsys.readouterr().err
    assert err == f"emstudy: error: {names}: {message}\n"


# -- what lies in data/cases/ besides finished cases --------------------------------------------------------
def test_hidden_case_files_are_not_cases_and_a_misnamed_one_is_named(project_copy, capsys):
    cases = project_copy.cases_dir
    five = project_copy.case_ids()
    shutil.copy(cases / "yima.yml", cases / "._yima.yml")  # macOS resource fork on a shared drive
    (cases / ".draft.yml").write_text("id: [unfinished\n", encoding="utf-8")
    assert project_copy.case_ids() == five
    assert main(["--root", str(project_copy.root), "cases"]) == 0
    capsys.readouterr()
    shutil.copy(cases / "yima.yml", cases / "yima copy.yml")
    assert main(["--root", str(project_copy.root), "cases"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"emstudy: error: {cases / 'yima copy.yml'}: 'yima copy' is not a valid case id")
    assert err.count("\n") == 1 and "rename the file, or move it out of data/cases/" in err


def test_an_unfinished_scaffold_is_named_in_one_line(project_copy, capsys):
    root = project_copy.root
    assert main(["--root", str(root), "new-case", "draft"]) == 0
    capsys.readouterr()
    assert main(["--root", str(root), "run", "--case", "yima", "--notebook", "01_data_quality"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"emstudy: error: {root / 'data' / 'cases' / 'draft.yml'}: case 'draft' has no raw file")
    assert err.count("\n") == 1 and "move this case file out of data/cases/" in err
