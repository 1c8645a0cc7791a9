"""Column mappings: renaming a survey's columns and labels into the codebook, and `emstudy validate --mapping`."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from emstudy.cli import main
from emstudy.errors import EmstudyError
from emstudy.steps.context import read_raw
from emstudy.survey.encode import encode
from emstudy.survey.mapping import ColumnMapping, apply_mapping, load_mapping, prepare_cells, validate_survey
from emstudy.survey.readers import read_survey

OWN_LABELS = {"完全不符合": 1, "不太符合": 2, "说不清": 3, "比较符合": 4, "非常符合": 5}


def own_survey(project, codebook, n: int = 40) -> tuple[pd.DataFrame, dict]:
    """The first n respondents of yima, with the survey's own headers and labels (and durations as '120秒')."""
    raw = read_raw(project.raw_path("yima")).head(n)
    headers = codebook.export_headers
    anchors = {a.zh: own for own, code in OWN_LABELS.items() for a in codebook.scale.anchors if a.code == code}
    columns = {}
    out = pd.DataFrame(index=raw.index)
    out["答卷编号"] = raw[headers["respondent_id"]]
    for k, item in enumerate(codebook.item_ids, start=1):
        own = f"Q{k} 题目{k}"
        columns[own] = item
        out[own] = raw[headers[item]].map(lambda v: anchors.get(v, v))
    for name in ("role", "gender", "age", "education", "overall", "suggestion"):
        out[headers[name]] = raw[headers[name]]
    out["所用时间"] = raw[headers["duration_s"]].map(lambda v: f"{int(v) // 60}分{int(v) % 60}秒")
    out["来源IP"] = "10.0.0.1"
    mapping = {
        "columns": columns,
        "labels": OWN_LABELS,
        "respondent_id": "答卷编号",
        "duration": {"column": "所用时间", "unit": "auto"},
        "ignore": ["来源IP"],
    }
    return out, mapping


def test_mapped_survey_encodes_like_the_original(project, codebook):
    own, spec = own_survey(project, codebook)
    table, report = apply_mapping(own, ColumnMapping.model_validate(spec), codebook, source="own.csv")
    assert report.problems == () and report.unmapped_columns == () and report.missing_columns == ()
    got = encode(table, codebook, source="own.csv")
    want = encode(read_raw(project.raw_path("yima")).head(40), codebook)
    pd.testing.assert_frame_equal(got.items, want.items)
    pd.testing.assert_frame_equal(got.background, want.background)
    pd.testing.assert_frame_equal(got.flags, want.flags)


def test_reverse_already_applied_is_undone(project, codebook):
    raw = read_raw(project.raw_path("yima")).head(20)
    want = encode(raw, codebook)
    flipped = raw.copy()
    for item in codebook.reverse_items:
        col = codebook.export_headers[item]
        flipped[col] = [str(6 - int(c)) if c == c else "" for c in want.answers[item].to_numpy()]
    table, report = apply_mapping(flipped, ColumnMapping(reverse_already_applied=True), codebook)
    assert report.problems == ()
    pd.testing.assert_frame_equal(encode(table, codebook).items, want.items)


def test_unmapped_labels_and_out_of_range_are_listed_with_row_and_column(project, codebook):
    own, spec = own_survey(project, codebook)
    own.loc[3, "Q5 题目5"] = "有点符合"
    own.loc[7, "Q6 题目6"] = "8"
    own.loc[9, "Q6 题目6"] = "8"
    own["新列"] = "x"
    _, report = apply_mapping(own, ColumnMapping.model_validate(spec), codebook)
    assert report.unmapped_columns == ("新列",)
    (label,) = report.unmapped_labels
    assert (label.column, label.field, label.value, label.first_row) == (
        "Q5 题目5",
        codebook.item_ids[4],
        "有点符合",
        4,
    )
    (code,) = report.out_of_range
    assert (code.column, code.value, code.count, code.first_row) == ("Q6 题目6", "8", 2, 8)


def test_mapping_file_errors_name_file_and_key(tmp_path, codebook):
    bad = tmp_path / "m.yml"
    bad.write_text("columns:\n  Q1: [PLN1\n", encoding="utf-8")
    with pytest.raises(EmstudyError, match=r"m.yml: YAML syntax error: line \d+, column \d+"):
        load_mapping(bad, codebook)
    bad.write_text("columns: {Q1: PLN9}\n", encoding="utf-8")
    with pytest.raises(EmstudyError, match=r"m.yml: columns.Q1: unknown field 'PLN9'"):
        load_mapping(bad, codebook)
    bad.write_text("duration: {column: t, unit: hours}\n", encoding="utf-8")
    with pytest.raises(EmstudyError, match=r"m.yml: duration.unit: "):
        load_mapping(bad, codebook)
    bad.write_text("colums: {}\n", encoding="utf-8")
    with pytest.raises(EmstudyError, match=r"m.yml: colums: Extra inputs are not permitted"):
        load_mapping(bad, codebook)


def test_mapping_naming_an_absent_column_is_an_error(project, codebook):
    own, spec = own_survey(project, codebook, n=5)
    spec["respondent_id"] = "编号"
    with pytest.raises(EmstudyError, match=r"column '编号' named in the mapping is not in the survey"):
        apply_mapping(own, ColumnMapping.model_validate(spec), codebook)


def test_prepare_cells_turns_missing_into_empty_strings():
    frame = pd.DataFrame({"a": pd.array(["x", None], dtype="str"), "b": [1, np.nan]})
    cells = prepare_cells(frame)
    assert cells["a"].tolist() == ["x", ""] and cells["b"].tolist()[1] == ""


def test_validate_report_counts_flags_of_the_shipped_data(project, codebook):
    report = validate_survey(read_survey(project.raw_path("yima")), ColumnMapping(), codebook, source="yima.csv")
    assert report.blocking == ()
    text = report.text()
    # generator truth: SimulationSettings.n_duplicates = 2 duplicate submissions per case
    assert "duplicate submissions: 2 (respondents 259, 260)" in text and "unmapped columns: none" in text
    assert "missingness per item: " in text and "kept for analysis: 245 of 260" in text


def test_validate_cli_with_mapping(project, codebook, tmp_path, capsys):
    import yaml

    own, spec = own_survey(project, codebook)
    survey = tmp_path / "own.csv"
    own.to_csv(survey, index=False, encoding="gb18030")
    mapping = tmp_path / "own.yml"
    mapping.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    assert main(["--root", str(project.root), "validate", str(survey), "--mapping", str(mapping)]) == 0
    out = capsys.readouterr().out
    assert "unmapped labels: none" in out and "out-of-range values: none" in out
    own.loc[2, "Q9 题目9"] = "很符合"
    own.to_csv(survey, index=False, encoding="gb18030")
    assert main(["--root", str(project.root), "validate", str(survey), "--mapping", str(mapping)]) == 2
    captured = capsys.readouterr()
    assert "unmapped labels: 1" in captured.out
    assert captured.err.count("\n") == 1
    assert "row 3 (respondent 3), column 'Q9 题目9': value '很符合' is not a code or label" in captured.err


def test_open_answers_are_scrubbed(project, codebook):
    from emstudy.steps.context import CaseContext
    from emstudy.survey.open_text import open_answers

    raw = read_raw(project.raw_path("yima")).head(30)
    col = codebook.export_headers["suggestion"]
    raw.loc[0, col] = "请联系张伟，电话13812345678，邮箱zw@example.cn"
    raw.loc[1, col] = ""
    survey = encode(raw, codebook)
    ctx = CaseContext(project, project.case("yima", codebook), codebook, project.raw_path("yima"), survey, True)
    answers = open_answers(ctx, names=("张伟",))
    assert list(answers.columns) == ["suggestion"]
    first = answers.loc["1", "suggestion"]
    assert first == "请联系[NAME]，电话[PHONE]，邮箱[EMAIL]"
    assert "2" not in answers.index  # empty answers are left out
    assert set(answers.index) <= set(survey.valid().items.index)
    assert not answers["suggestion"].str.contains("13812345678").any()


def test_new_subcommands_have_help(capsys):
    for command, needle in (("validate", "--mapping"), ("new-case", "data/mappings"), ("checksum", "SHA256SUMS")):
        with pytest.raises(SystemExit) as info:
            main([command, "--help"])
        assert info.value.code == 0
        assert needle in capsys.readouterr().out


def test_run_cache_depends_on_the_mapping(project_copy):
    from emstudy.runner.pipeline import plan_tasks, source_fingerprint, task_key

    task = plan_tasks(project_copy, ["yima"], notebooks=["01_data_quality"])[0]
    key = lambda: task_key(project_copy, task, source=source_fingerprint(), case_ids=["yima"])  # noqa: E731
    without = key()
    mapping = project_copy.mapping_path("yima")
    mapping.parent.mkdir(parents=True, exist_ok=True)  # a user's case may have put its mapping there already
    assert not mapping.exists()
    mapping.write_text("ignore: []\n", encoding="utf-8")
    first = key()
    mapping.write_text("ignore: [x]\n", encoding="utf-8")
    second = key()
    assert len({without, first, second}) == 3
    # the recommendations catalogue is read by the findings notebook, not by the data-quality one
    findings = plan_tasks(project_copy, ["yima"], notebooks=["07_findings"])[0]
    findings_key = lambda: task_key(project_copy, findings, source=source_fingerprint())  # noqa: E731
    before = findings_key()
    catalogue = project_copy.root / "data" / "recommendations.yml"
    catalogue.write_text(catalogue.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert key() == second and findings_key() != before
