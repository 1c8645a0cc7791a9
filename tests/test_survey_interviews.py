"""Tests for emstudy.survey.interviews: the interview code book and the tidy table of coded segments.

The fixtures in tests/fixtures/interviews/ are one set of synthetic codings written by make_fixtures.py as a
REFI-QDA project, a CSV and an XLSX table; the expected table is built here from the generator's own list of
codings, not from a reader.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pandas as pd
import pytest

from emstudy.errors import EmstudyError, SurveyFileError
from emstudy.survey.interviews import CODING_COLUMNS, InterviewCodes, check_codings, load_interview_codes, read_codings

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "interviews"
CODES_FILE = ROOT / "data" / "interview_codes.yml"


def _generator():
    spec = importlib.util.spec_from_file_location("make_fixtures", FIXTURES / "make_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def codes(codebook) -> InterviewCodes:
    return load_interview_codes(CODES_FILE, codebook)


def _expected() -> pd.DataFrame:
    """The generator's codings as the tidy table: sorted by case, source, offsets, segment, coder, code."""
    rows = sorted(
        _generator().codings(), key=lambda r: (r["case"], r["source"], r["start"], r["end"], r["coder"], r["code"])
    )
    frame = pd.DataFrame({c: pd.array([r.get(c) for r in rows], dtype="string") for c in CODING_COLUMNS})
    for c in ("start", "end"):
        frame[c] = pd.array([r[c] for r in rows], dtype="Int64")
    return frame


# --- the code book ---------------------------------------------------------------------------------------


def test_the_committed_code_book_speaks_to_every_construct_both_ways(codes, codebook) -> None:
    for construct in codebook.construct_ids:
        polarities = {c.polarity for c in codes.codes if construct in c.constructs}
        assert polarities == {"problem", "strength"}, construct
    assert all(c.en.strip() and c.zh.strip() for c in codes.codes)
    assert codes.lookup(" 物资、经费或后勤保障不足 ") == "resources_problem"
    assert codes.lookup("Supplies, funds or logistics fall short") == "resources_problem"
    assert codes.lookup("resources") is None


def test_code_table_maps_codes_to_constructs_and_the_case_framework(codes, codebook, project) -> None:
    case = project.case("h_district")
    table = codes.to_frame(codebook, case=case)
    row = table[(table["code"] == "grassroots_capacity_problem") & (table["construct"] == "teams")].iloc[0]
    assert (row["construct_zh"], row["dimension"], row["dimension_zh"]) == ("队伍建设", "organisation_prep", "组织准备")
    assert table.loc[table["construct"] == "warning", "dimension"].isna().all()  # outside H district's framework
    assert len(table) == sum(len(c.constructs) for c in codes.codes)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda t: t.replace("constructs: [plan],", "constructs: [plans],", 1),
            r"codes\.0\.constructs: unknown construct 'plans' \(code 'plan_problem'\)",
        ),
        (
            lambda t: t.replace("id: plan_strength,", "id: plan_problem,"),
            r"codes: Value error, entry 1 has the id 'plan_problem' of entry 0",
        ),
        (lambda t: t.replace("polarity: strength", "polarity: good", 1), r"codes\.1\.polarity: Input should be"),
        (lambda t: t.replace("constructs: [plan],", "constructs: [],", 1), r"codes\.0\.constructs: .*at least 1"),
    ],
    ids=["unknown construct", "duplicate id", "polarity", "no construct"],
)
def test_a_bad_code_book_is_one_line_naming_the_key(tmp_path, codebook, edit, message) -> None:
    path = tmp_path / "interview_codes.yml"
    path.write_text(edit(CODES_FILE.read_text(encoding="utf-8")), encoding="utf-8")
    with pytest.raises(EmstudyError, match=re.escape(str(path)) + ": " + message) as info:
        load_interview_codes(path, codebook)
    assert "\n" not in str(info.value)


# --- the three formats -----------------------------------------------------------------------------------


@pytest.mark.parametrize("ext", ["qdpx", "csv", "xlsx"])
def test_qdpx_csv_and_xlsx_read_to_the_same_tidy_table(codes, ext) -> None:
    frame = read_codings(FIXTURES / f"codings.{ext}", codes=codes)
    pd.testing.assert_frame_equal(frame, _expected())
    assert frame.attrs["source"]["format"] == ext and frame.attrs["source"]["n_rows"] == len(frame)


def test_the_generator_rewrites_the_fixtures_byte_for_byte(tmp_path) -> None:
    written = _generator().main(tmp_path)
    assert [p.name for p in written] == ["codings.qdpx", "codings.csv", "codings.xlsx"]
    for path in written:
        assert path.read_bytes() == (FIXTURES / path.name).read_bytes(), path.name


def test_gb18030_csv_and_a_case_argument(codes, tmp_path) -> None:
    text = (FIXTURES / "codings.csv").read_text(encoding="utf-8")
    wencheng = "\n".join(line.removeprefix("wencheng,") for line in text.splitlines() if line.startswith("wencheng,"))
    path = tmp_path / "wencheng.csv"
    path.write_bytes(("source,segment_id,start,end,text,code,coder\n" + wencheng + "\n").encode("gb18030"))
    frame = read_codings(path, codes=codes, case="wencheng")
    expected = _expected()
    expected = expected[expected["case"] == "wencheng"].reset_index(drop=True)
    pd.testing.assert_frame_equal(frame, expected)
    assert frame.attrs["source"]["encoding"] == "gb18030"


def test_check_codings_takes_a_frame_and_labels_become_ids(codes) -> None:
    frame = pd.DataFrame(
        {
            "case": ["yima"] * 4,
            "source": ["i1"] * 4,
            "segment_id": ["b", "b", "a", "a"],
            "text_ref": ["t.txt#2", "t.txt#2", "t.txt#1", "t.txt#1"],
            "code": [
                "预案不完善、修订不及时或停留在纸面",
                "plan_problem",
                "Clear rules and accountability",
                "rules_strength",
            ],
            "coder": ["x", "y", "y", "x"],
        }
    )
    tidy = check_codings(frame, codes=codes, source="simulated")
    assert tidy["segment_id"].tolist() == ["a", "a", "b", "b"] and tidy["coder"].tolist() == ["x", "y", "x", "y"]
    assert tidy["code"].tolist() == ["rules_strength", "rules_strength", "plan_problem", "plan_problem"]
    assert tidy["text"].isna().all() and tidy["start"].isna().all()


def test_one_coder_needs_no_second(codes) -> None:
    frame = pd.DataFrame({"case": ["yima"], "source": ["i1"], "segment_id": ["1"], "text": ["…"]})
    frame = frame.assign(code="plan_problem", coder="x")
    assert len(check_codings(frame, codes=codes)) == 1
    with pytest.raises(SurveyFileError, match=r"^codings: coder\(s\) \['y'\] expected \(coders=\) but absent"):
        check_codings(frame, codes=codes, coders=["x", "y"])


# --- bad codings: one line naming the file and the row ---------------------------------------------------

HEADER = "case,source,segment_id,start,end,text,code,coder"
GOOD = [
    "wencheng,i1,s1,0,4,预案过时,plan_problem,A",
    "wencheng,i1,s1,0,4,预案过时,plan_problem,B",
    "wencheng,i1,s2,4,8,物资不够,resources_problem,A",
    "wencheng,i1,s2,4,8,物资不够,resources_problem,B",
]


@pytest.mark.parametrize(
    ("lines", "kwargs", "message"),
    [
        (
            GOOD[:2] + ["wencheng,i1,s2,4,8,物资不够,supplies_gap,A", GOOD[3]],
            {},
            r"row 3: unknown code 'supplies_gap'; expected an id or label of the code book",
        ),
        (GOOD[:3], {}, r"row 3: segment 's2' of source 'i1' \(case 'wencheng'\) is coded by A only; each of A, B"),
        (
            GOOD + ["wencheng,i2,s1,0,4,预案过时,plan_problem,A"],
            {},
            r"row 5: source 'i2' \(case 'wencheng'\) has no coding by coder\(s\) \['B'\]",
        ),
        (
            GOOD[:2] + [g.replace(",4,8,", ",3,8,") for g in GOOD[2:]],
            {},
            r"row 3: segment 's2' \(characters 3-8\) overlaps segment 's1' \(characters 0-4, row 1\) of source 'i1', "
            r"both coded by 'A'",
        ),
        (GOOD + [GOOD[0]], {}, r"row 5: coder 'A' gives code 'plan_problem' to segment 's1' .* \(row 1 already does\)"),
        (
            [GOOD[0], GOOD[1].replace("预案过时", "预案过"), *GOOD[2:]],
            {},
            r"row 2: segment 's1' of source 'i1' has text '预案过' here but '预案过时' in row 1",
        ),
        (GOOD, {"coders": ["A", "C"]}, r"row 2: unknown coder 'B'; expected one of \['A', 'C'\]"),
        (GOOD, {"case": "yima"}, r"row 1: column 'case': 'wencheng' is not the case 'yima' asked for"),
        ([GOOD[0].replace(",A", ","), *GOOD[1:]], {}, r"row 1: column 'coder' is empty"),
        ([GOOD[0].replace(",0,4,", ",0,,"), *GOOD[1:]], {}, r"row 1: give both 'start' and 'end'"),
        ([GOOD[0].replace(",0,4,", ",4,4,"), *GOOD[1:]], {}, r"row 1: start 4 is not before end 4"),
        ([GOOD[0].replace(",0,4,", ",-1,4,"), *GOOD[1:]], {}, r"row 1: column 'start': '-1' is not a character"),
        ([GOOD[0].replace("wencheng", "Wen Cheng"), *GOOD[1:]], {}, r"row 1: case 'Wen Cheng' is not a case id"),
    ],
    ids=[
        "unknown code",
        "one coder only",
        "coder missing from a source",
        "overlap",
        "coding twice",
        "segment differs",
        "unknown coder",
        "other case",
        "blank coder",
        "half offsets",
        "empty span",
        "negative offset",
        "not a case id",
    ],
)
def test_bad_codings_are_one_line_naming_file_and_row(codes, tmp_path, lines, kwargs, message) -> None:
    path = tmp_path / "codings.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    with pytest.raises(SurveyFileError, match="^" + re.escape(str(path)) + ": " + message) as info:
        read_codings(path, codes=codes, **kwargs)
    assert "\n" not in str(info.value)


def test_the_good_lines_read(codes, tmp_path) -> None:
    path = tmp_path / "codings.csv"
    path.write_text("\n".join([HEADER, *GOOD]) + "\n", encoding="utf-8")
    assert read_codings(path, codes=codes, coders=["B", "A"])["coder"].tolist() == ["A", "B", "A", "B"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", r"file is empty \(0 bytes\)"),
        (HEADER.encode() + b"\n", r"has a header row but no data rows"),
        (
            b"source,segment_id,code,coder\ni1,s1,plan_problem,A\n",
            r"missing column\(s\) text or text_ref, case \(or pass case=\)",
        ),
        (b"case,source,segment_id,text,coder\nyima,i1,s1,x,A\n", r"missing column\(s\) code;"),
    ],
    ids=["empty", "header only", "no text, no case", "no code"],
)
def test_empty_files_and_missing_columns(codes, tmp_path, content, message) -> None:
    path = tmp_path / "codings.csv"
    path.write_bytes(content)
    with pytest.raises(SurveyFileError, match="^" + re.escape(str(path)) + ": " + message):
        read_codings(path, codes=codes)


def test_an_xlsx_row_is_named_as_in_a_csv(codes, tmp_path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER.split(","))
    for line in GOOD[:3]:
        ws.append([int(v) if v.isdigit() else v for v in line.split(",")])
    path = tmp_path / "codings.xlsx"
    wb.save(path)
    with pytest.raises(SurveyFileError, match=re.escape(f"{path}: row 3: segment 's2'") + ".* coded by A only"):
        read_codings(path, codes=codes)


def test_unsupported_type(codes, tmp_path) -> None:
    with pytest.raises(SurveyFileError, match=r"unsupported file type '\.nvp' for codings"):
        read_codings(tmp_path / "project.nvp", codes=codes)


def test_the_study_interview_files_read(project, codes) -> None:
    """The synthetic study's interview codings (``emstudy simulate`` writes them) pass every check."""
    files = sorted(project.raw_dir.glob("*.interviews.csv"))
    if not files:
        pytest.skip("no data/raw/*.interviews.csv yet")
    for path in files:
        frame = read_codings(path, codes=codes)
        assert set(frame["case"]) == {path.name.split(".")[0]}
        assert frame["coder"].nunique() >= 2
