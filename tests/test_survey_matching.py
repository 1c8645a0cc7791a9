"""Column matching by text (emstudy.survey.matching): normalisation, the number never deciding alone, explicit
mappings winning, the permutation/renumbering property, and `emstudy map` proposing a mapping."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emstudy.cli import main
from emstudy.errors import EmstudyError
from emstudy.steps.context import read_raw
from emstudy.survey.encode import encode
from emstudy.survey.mapping import ColumnMapping, apply_mapping, load_mapping, mapping_template, validate_survey
from emstudy.survey.matching import match_columns, normalise_header, propose_mapping, split_header

STYLES = ("{n}.", "Q{n} ", "{n}、", "（{n}）", "第{n}题 ", "Ｑ{n}．", "({n})", "q{n}:")


@pytest.fixture(scope="module")
def yima(project) -> pd.DataFrame:
    return read_raw(project.raw_path("yima")).head(30)


@pytest.fixture(scope="module")
def original(yima, codebook):
    return encode(yima, codebook, source="yima.csv")


def text_of(header: str) -> str:
    """The text of a shipped header ``5.本地…`` without its number."""
    return header.split(".", 1)[1]


def question_columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if split_header(c)[0] is not None]


# -- normalisation ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("header", "number", "text"),
    [
        ("5.本地应急预案覆盖了本地区的主要风险。", 5, "本地应急预案覆盖了本地区的主要风险"),
        ("Q5 本地应急预案覆盖了本地区的主要风险", 5, "本地应急预案覆盖了本地区的主要风险"),
        ("5、本地 应急预案 覆盖了本地区的主要风险！", 5, "本地应急预案覆盖了本地区的主要风险"),
        ("（5）本地应急预案覆盖了本地区的主要风险。", 5, "本地应急预案覆盖了本地区的主要风险"),
        ("５．本地应急预案覆盖了本地区的主要风险", 5, "本地应急预案覆盖了本地区的主要风险"),
        ("Ｑ１２：Ｏｖｅｒａｌｌ  Rating", 12, "overallrating"),
        ("第7题 部门、乡镇和企业的预案相互衔接。", 7, "部门乡镇和企业的预案相互衔接"),
        ("所用时间(秒)", None, "所用时间秒"),
        ("1.5小时以内", None, "15小时以内"),  # a decimal is not a question number
        ("Q7", 7, ""),
    ],
)
def test_split_header_strips_numbers_widths_spaces_and_punctuation(header, number, text):
    assert split_header(header) == (number, text)
    assert normalise_header(header) == text


def test_every_codebook_field_has_its_own_text(codebook):
    headers = codebook.export_headers
    assert len({normalise_header(h) for h in headers.values()}) == len(headers)
    found = match_columns(list(headers.values()), codebook).found
    assert found == {name: header for name, header in headers.items()}


# -- the number never decides alone ----------------------------------------------------------------------
def swap_texts(frame: pd.DataFrame, codebook, a: str, b: str) -> tuple[pd.DataFrame, dict[str, str]]:
    """Swap the header texts of fields a and b, keeping their numbers (the cells stay where they were)."""
    ha, hb = codebook.export_headers[a], codebook.export_headers[b]
    na, nb = codebook.question_numbers[a], codebook.question_numbers[b]
    renamed = {ha: f"{na}.{text_of(hb)}", hb: f"{nb}.{text_of(ha)}"}
    return frame.rename(columns=renamed), renamed


def test_number_of_one_item_and_text_of_another_is_an_error_naming_both(yima, codebook):
    swapped, renamed = swap_texts(yima, codebook, "PLN1", "ORG1")
    column = renamed[codebook.export_headers["PLN1"]]
    with pytest.raises(EmstudyError) as info:
        encode(swapped, codebook, source="swapped.csv")
    message = str(info.value)
    assert message.startswith(f"swapped.csv: column {column!r}: its number 5 is PLN1 (question 5, ")
    assert "but its text is ORG1 (question 9, " in message and "\n" not in message
    with pytest.raises(EmstudyError, match="its number 5 is PLN1"):
        validate_survey(swapped, ColumnMapping(), codebook, source="swapped.csv")


def test_a_number_without_a_codebook_question_does_not_conflict(yima, codebook, original):
    renamed = {c: f"Q{100 + split_header(c)[0]} {c.split('.', 1)[1]}" for c in question_columns(yima)}
    got = encode(yima.rename(columns=renamed), codebook)
    pd.testing.assert_frame_equal(got.items, original.items)
    pd.testing.assert_frame_equal(got.background, original.background)


def test_numbered_column_whose_text_matches_nothing_is_reported_or_refused(yima, codebook):
    extra = yima.assign(**{"55.您参加过应急演练吗？": "是"})
    with pytest.raises(
        EmstudyError, match=r"column '55\.您参加过应急演练吗？' is numbered like a question but its text"
    ):
        encode(extra, codebook, source="extra.csv")
    report = validate_survey(extra, ColumnMapping(), codebook, source="extra.csv")
    assert report.blocking and "'55.您参加过应急演练吗？' is numbered like a question" in report.blocking[0]
    assert "column problems: 1" in report.text()
    ignored = validate_survey(extra, ColumnMapping(ignore=("55.您参加过应急演练吗？",)), codebook, source="extra.csv")
    assert ignored.blocking == ()
    # a number alone (no text) never decides either, even when it is the item's own number
    bare = yima.rename(columns={codebook.export_headers["PLN1"]: "5."})
    with pytest.raises(
        EmstudyError, match=r"column '5\.' is numbered like a question .*\(question 5 of the codebook is PLN1"
    ):
        encode(bare, codebook)


def test_a_column_without_a_number_matching_nothing_stays_an_unmapped_column(yima, codebook, original):
    got = encode(yima.assign(提交答卷时间="2019-07-19"), codebook)
    assert got.unmapped_columns == ("提交答卷时间",)
    pd.testing.assert_frame_equal(got.items, original.items)


def test_two_columns_with_one_text_are_reported(yima, codebook):
    header = codebook.export_headers["PLN2"]
    twice = yima.assign(**{"Q6 " + text_of(header): yima[header]})
    match = match_columns(twice.columns, codebook, source="twice.csv")
    (problem,) = match.problems
    assert f"column {'Q6 ' + text_of(header)!r}: its text is that of PLN2" in problem and repr(header) in problem


# -- explicit mapping wins -------------------------------------------------------------------------------
def test_explicit_mapping_wins_over_text_and_number(yima, codebook, original):
    # the survey's header texts were exchanged by mistake; the user maps the columns by what they hold
    swapped, renamed = swap_texts(yima, codebook, "PLN1", "ORG1")
    five, nine = renamed[codebook.export_headers["PLN1"]], renamed[codebook.export_headers["ORG1"]]
    mapping = ColumnMapping(columns={five: "PLN1", nine: "ORG1"})
    table, report = apply_mapping(swapped, mapping, codebook, source="swapped.csv")
    assert report.column_problems == () and report.unmapped_columns == ()
    got = encode(table, codebook)
    pd.testing.assert_frame_equal(got.items, original.items)
    # and the other way round: shipped headers, mapped to each other's item
    crossed = ColumnMapping(columns={codebook.export_headers["PLN1"]: "ORG1", codebook.export_headers["ORG1"]: "PLN1"})
    got = encode(apply_mapping(yima, crossed, codebook)[0], codebook)
    assert got.answers["PLN1"].equals(original.answers["ORG1"])
    assert got.answers["ORG1"].equals(original.answers["PLN1"])


def test_explicit_mapping_and_a_column_with_the_same_text_are_a_problem(yima, codebook):
    header = codebook.export_headers["PLN1"]
    own = yima.assign(**{"我的第一题": yima[header]})
    table, report = apply_mapping(own, ColumnMapping(columns={"我的第一题": "PLN1"}), codebook, source="own.csv")
    (problem,) = report.column_problems
    assert f"column {header!r}: its text is that of PLN1" in problem and "'我的第一题' already holds" in problem
    assert validate_survey(own, ColumnMapping(columns={"我的第一题": "PLN1"}), codebook, source="own.csv").blocking
    with pytest.raises(EmstudyError, match=f"column {header!r}: its text is that of PLN1"):
        encode(table, codebook)


# -- the property: permuting and renumbering question columns --------------------------------------------
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_permuted_and_renumbered_questions_encode_the_same_or_fail_naming_the_column(data, yima, codebook, original):
    questions = question_columns(yima)
    order = data.draw(st.permutations(questions))
    mode = data.draw(st.sampled_from(["own", "offset", "shuffled", "partly"]))
    numbers = {c: split_header(c)[0] for c in questions}
    if mode == "offset":
        numbers = {c: n + data.draw(st.integers(60, 500)) for c, n in numbers.items()}
    elif mode == "shuffled":
        numbers = dict(zip(questions, data.draw(st.permutations(sorted(numbers.values())))))
    elif mode == "partly":
        moved = data.draw(st.sets(st.sampled_from(questions), min_size=1, max_size=3))
        numbers.update({c: data.draw(st.integers(1, 60)) for c in moved})
    styles = {c: data.draw(st.sampled_from(STYLES)) for c in questions}
    headers = {c: styles[c].format(n=numbers[c]) + c.split(".", 1)[1] for c in questions}
    others = [c for c in yima.columns if c not in questions]
    export = yima[others[:1] + order + others[1:]].rename(columns=headers)
    conflicting = {headers[c] for c in questions if numbers[c] != split_header(c)[0] and numbers[c] <= 54}
    try:
        got = encode(export, codebook, source="export.csv")
    except EmstudyError as exc:
        message = str(exc)
        assert any(repr(h) in message for h in headers.values()), message
        assert conflicting, f"an export whose numbers agree with the codebook or name no question failed: {message}"
        return
    assert not conflicting, f"columns {sorted(conflicting)} carry another item's number and were accepted"
    pd.testing.assert_frame_equal(got.items, original.items)
    pd.testing.assert_frame_equal(got.background, original.background)
    pd.testing.assert_series_equal(got.open_text, original.open_text)


# -- emstudy map -----------------------------------------------------------------------------------------
def own_numbered_export(yima: pd.DataFrame) -> pd.DataFrame:
    """yima with its questions in reverse order, numbered Q1.. in that order, and a platform column."""
    questions = question_columns(yima)[::-1]
    headers = {c: f"Q{k} {c.split('.', 1)[1]}" for k, c in enumerate(questions, start=1)}
    others = [c for c in yima.columns if c not in questions]
    return yima[others[:1] + questions + others[1:]].rename(columns=headers).assign(提交答卷时间="2019-07-19 10:00")


def test_map_proposes_a_mapping_that_validate_accepts(project_copy, yima, codebook, tmp_path, capsys):
    root = str(project_copy.root)
    survey = tmp_path / "own.csv"
    own_numbered_export(yima).to_csv(survey, index=False, encoding="utf-8-sig")
    assert main(["--root", root, "validate", str(survey)]) == 2  # the numbers are the survey's own
    assert "its number 1 is role" in capsys.readouterr().err

    out = tmp_path / "own.yml"
    assert main(["--root", root, "map", str(survey), "--out", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == len(yima.columns) + 2  # one line per column and the summary
    assert "'Q1 您对本地应急管理工作还有什么意见和建议？': -> suggestion (score 100)" in printed[1]
    assert any(line.startswith("'提交答卷时间': unmatched") for line in printed)
    assert printed[-1].startswith(f"{survey}: {len(yima.columns) + 1} column(s): {len(yima.columns)} matched")
    mapping = load_mapping(out, codebook)
    assert mapping.columns["Q50 本地应急预案覆盖了本地区的主要风险。"] == "PLN1"
    assert mapping.respondent_id == "序号" and mapping.duration.column == "所用时间(秒)"
    assert '#   "提交答卷时间": ?' in out.read_text(encoding="utf-8")

    assert main(["--root", root, "validate", str(survey), "--mapping", str(out)]) == 0
    assert "unmapped columns: '提交答卷时间'" in capsys.readouterr().out
    raw = read_raw(survey)
    got = encode(apply_mapping(raw, mapping, codebook)[0], codebook)
    pd.testing.assert_frame_equal(got.items, encode(yima, codebook).items)

    before = out.read_bytes()
    assert main(["--root", root, "map", str(survey), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{out}: exists; a mapping is never overwritten silently" in err
    assert out.read_bytes() == before
    assert main(["--root", root, "map", str(survey), "--out", str(out), "--force"]) == 0


def test_map_default_output_replaces_only_the_untouched_template(project_copy, yima, codebook, tmp_path, capsys):
    survey = tmp_path / "myplace.csv"
    yima.to_csv(survey, index=False)
    target = project_copy.root / "data" / "mappings" / "myplace.yml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(mapping_template(codebook), encoding="utf-8")
    assert main(["--root", str(project_copy.root), "map", str(survey)]) == 0
    assert load_mapping(target, codebook).columns  # the template was replaced by the proposal
    capsys.readouterr()
    target.write_text(target.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    assert main(["--root", str(project_copy.root), "map", str(survey)]) == 2
    assert target.read_text(encoding="utf-8").endswith("# edited\n")


def test_propose_marks_fuzzy_ambiguous_and_unmatched_columns(codebook):
    pln2 = text_of(codebook.export_headers["PLN2"])
    fuzzy = "Q3 " + pln2.replace("定期", "")  # two characters fewer
    proposal = propose_mapping(
        [
            fuzzy,
            "5." + text_of(codebook.export_headers["PLN1"]),
            "Q5 " + text_of(codebook.export_headers["PLN1"]),
            "来源IP",
        ],
        codebook,
        source="s.csv",
    )
    first, twin_a, twin_b, ip = proposal.columns
    assert (first.status, first.field) == ("matched", "PLN2") and 85 < first.score < 100
    assert "number 3 is age in the codebook: the text decides" in first.line()
    assert twin_a.status == twin_b.status == "ambiguous" and twin_a.field is None
    assert ip.status == "unmatched" and ip.score < 80
    assert proposal.summary() == "s.csv: 4 column(s): 1 matched, 2 ambiguous, 1 unmatched"
    # a column whose two best fields are within the margin is ambiguous
    almost = text_of(codebook.export_headers["ORG2"]) + "吗"
    assert propose_mapping([almost], codebook).columns[0].field == "ORG2"
    close = propose_mapping([almost], codebook, margin=100).columns[0]
    assert close.status == "ambiguous" and close.field is None and close.candidates[0][0] == "ORG2"
