"""Tests for emstudy.survey.readers.read_survey and the platform-export helpers. Fixtures are written into tmp_path."""

from __future__ import annotations

import hashlib
import math
import os
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pyreadstat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emstudy.errors import SurveyFileError
from emstudy.survey.readers import parse_duration_seconds, read_survey, split_question_header

CSV_TEXT = "序号, 性别 ,所在单位,Q1\n1,男,政府,5\n2,女,企业,\n3,女,居民,NA\n"


def _check_csv_frame(df: pd.DataFrame) -> None:
    assert list(df.columns) == ["序号", "性别", "所在单位", "Q1"]  # headers stripped
    assert df["性别"].tolist() == ["男", "女", "女"]
    assert df["序号"].tolist() == ["1", "2", "3"]  # strings kept as strings
    assert all(pd.api.types.is_string_dtype(t) for t in df.dtypes)
    assert pd.isna(df.loc[1, "Q1"])  # empty cell is missing
    assert df.loc[2, "Q1"] == "NA"  # but "NA" is kept verbatim
    assert df.attrs["source"]["n_rows"] == 3


@pytest.mark.parametrize(
    ("codec", "expected"), [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gb18030", "gb18030"), ("gbk", "gb18030")]
)
def test_csv_encodings(tmp_path: Path, codec: str, expected: str) -> None:
    path = tmp_path / "s.csv"
    data = CSV_TEXT.encode(codec)
    path.write_bytes(data)
    df = read_survey(path)
    _check_csv_frame(df)
    src = df.attrs["source"]
    assert src["encoding"] == expected
    assert src["format"] == "csv"
    assert src["delimiter"] == ","
    assert src["sha256"] == hashlib.sha256(data).hexdigest()
    assert src["path"] == str(path)


@pytest.mark.parametrize("delim", [";", "\t", "|"])
def test_csv_delimiters(tmp_path: Path, delim: str) -> None:
    path = tmp_path / "s.txt"
    path.write_text(CSV_TEXT.replace(",", delim), encoding="utf-8")
    df = read_survey(path)
    _check_csv_frame(df)
    assert df.attrs["source"]["delimiter"] == delim


def test_semicolon_file_with_commas_in_text(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("id;意见\n1;好,很好\n2;一般,还行\n3;差\n", encoding="utf-8")
    df = read_survey(path)
    assert df["意见"].tolist() == ["好,很好", "一般,还行", "差"]


def test_explicit_encoding_and_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_bytes(CSV_TEXT.replace(",", ";").encode("gb18030"))
    df = read_survey(path, encoding="gb18030", delimiter=";")
    _check_csv_frame(df)
    with pytest.raises(SurveyFileError, match=r"s\.csv: cannot be decoded as utf-8"):
        read_survey(path, encoding="utf-8")


def test_file_is_not_modified(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text(CSV_TEXT, encoding="utf-8")
    os.utime(path, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    os.chmod(path, 0o444)  # read-only is enough
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    read_survey(path)
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


# --- XLSX ------------------------------------------------------------------------------------------------


def _write_xlsx(path: Path, rows: list[list[object]], *, merge: str | None = None) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "问卷"
    for row in rows:
        ws.append(row)
    if merge:
        ws.merge_cells(merge)
    wb.create_sheet("其他")
    wb.save(path)


XLSX_ROWS: list[list[object]] = [
    ["序号", "提交答卷时间", "所用时间", "1.您的性别", "2、您所在单位", "Q3. 总体评价"],
    [1, "2024/5/1 10:00:00", "120秒", "男", "政府", 4],
    [2, "2024/5/1 10:05:00", "2分30秒", "女", "企业", 5],
]


def test_xlsx_platform_export(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    _write_xlsx(path, XLSX_ROWS)
    df = read_survey(path)
    assert list(df.columns) == XLSX_ROWS[0]
    assert df["1.您的性别"].tolist() == ["男", "女"]
    assert df["Q3. 总体评价"].tolist() == [4, 5]  # numbers as the format carries them
    assert [parse_duration_seconds(v) for v in df["所用时间"]] == [120.0, 150.0]
    assert [split_question_header(c)[0] for c in df.columns] == [None, None, None, 1, 2, 3]
    src = df.attrs["source"]
    assert src["format"] == "xlsx" and src["sheet"] == "问卷" and src["n_rows"] == 2
    assert src["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert read_survey(path, sheet="问卷").equals(df)
    with pytest.raises(SurveyFileError, match="no sheet named 'x'"):
        read_survey(path, sheet="x")


def test_xlsx_blank_and_merged_header(tmp_path: Path) -> None:
    path = tmp_path / "blank.xlsx"
    _write_xlsx(path, [["a", None, "c"], [1, 2, 3]])
    with pytest.raises(SurveyFileError, match=r"blank\.xlsx: sheet '问卷', column 2 \(B\) has a blank or merged"):
        read_survey(path)
    path = tmp_path / "merged.xlsx"
    _write_xlsx(path, [["a", "矩阵题", None], [1, 2, 3]], merge="B1:C1")
    with pytest.raises(SurveyFileError, match=r"merged\.xlsx: sheet '问卷', column 3 \(C\)"):
        read_survey(path)


def test_xlsx_corrupt_and_truncated(tmp_path: Path) -> None:
    good = tmp_path / "good.xlsx"
    _write_xlsx(good, XLSX_ROWS)
    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes(good.read_bytes()[:300])
    with pytest.raises(SurveyFileError, match=r"truncated\.xlsx: is not a valid XLSX workbook"):
        read_survey(truncated)
    fake = tmp_path / "fake.xlsx"
    fake.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(SurveyFileError, match=r"fake\.xlsx: .*rename it to \.csv"):
        read_survey(fake)


# --- SPSS / Stata ----------------------------------------------------------------------------------------


def _labelled_frame() -> pd.DataFrame:
    return pd.DataFrame({"sex": [1.0, 2.0, 1.0], "q1": [5.0, 4.0, 9.0], "note": ["甲", "乙", "丙"]})


def test_sav_value_labels_and_meta(tmp_path: Path) -> None:
    path = tmp_path / "s.sav"
    pyreadstat.write_sav(
        _labelled_frame(),
        str(path),
        column_labels={"sex": "性别", "q1": "预案完备"},
        variable_value_labels={"sex": {1.0: "男", 2.0: "女"}, "q1": {5.0: "非常同意", 4.0: "同意"}},
    )
    df = read_survey(path)
    assert df["sex"].tolist() == ["男", "女", "男"]
    assert df["q1"].tolist()[:2] == ["非常同意", "同意"]
    assert df["q1"].tolist()[2] == 9.0  # an unlabelled value stays a number
    meta = df.attrs["meta"]
    assert meta["variable_labels"]["sex"] == "性别"
    assert meta["value_labels"]["sex"] == {1.0: "男", 2.0: "女"}
    assert df.attrs["source"]["format"] == "sav" and df.attrs["source"]["n_rows"] == 3


def test_dta_value_labels_and_meta(tmp_path: Path) -> None:
    path = tmp_path / "s.dta"
    pyreadstat.write_dta(
        _labelled_frame(),
        str(path),
        column_labels=["性别", "预案完备", "备注"],
        variable_value_labels={"sex": {1: "男", 2: "女"}},
    )
    df = read_survey(path)
    assert df["sex"].tolist() == ["男", "女", "男"]
    assert df.attrs["meta"]["variable_labels"]["q1"] == "预案完备"
    assert df.attrs["meta"]["value_labels"]["sex"] == {1: "男", 2: "女"}
    assert df.attrs["source"]["format"] == "dta"


def test_corrupt_sav(tmp_path: Path) -> None:
    path = tmp_path / "s.sav"
    pyreadstat.write_sav(_labelled_frame(), str(path))
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(SurveyFileError, match=r"s\.sav: is not a readable SPSS file"):
        read_survey(path)


# --- bad inputs ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "pattern"),
    [
        ("empty.csv", b"", r"empty\.csv: file is empty \(0 bytes\)"),
        ("header.csv", b"a,b,c\n", r"header\.csv: has a header row but no data rows"),
        ("header2.csv", b"a,b,c\n\n\n", r"header2\.csv: has a header row but no data rows"),
        (
            "bytes.csv",
            b"q1,q2\n\x80\xff,1\n",
            r"bytes\.csv: cannot be decoded with any of UTF-8 with BOM, UTF-8, GB18030 \(first bad byte 0x80",
        ),
        ("dup.csv", b"Q1, Q2,Q1,Q2 \n1,2,3,4\n", r"dup\.csv: duplicated column names 'Q1', 'Q2'"),
        ("blank.csv", b"Q1,,Q3\n1,2,3\n", r"blank\.csv: column 2 has a blank header"),
        ("long.csv", b"a,b\n1,2\n3,4,5\n", r"long\.csv: line 3: 3 fields but the header has 2"),
        ("nul.csv", b"a,b\n1,\x002\n", r"nul\.csv: contains NUL bytes"),
        ("survey.xls", b"anything", r"survey\.xls: unsupported file type '\.xls'; expected one of \.csv.*\.dta"),
        ("survey.json", b"{}", r"survey\.json: unsupported file type"),
    ],
)
def test_bad_inputs(tmp_path: Path, name: str, content: bytes, pattern: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SurveyFileError, match=pattern) as info:
        read_survey(path)
    assert "\n" not in str(info.value)
    assert isinstance(info.value, ValueError)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SurveyFileError, match=r"nope\.csv: file not found"):
        read_survey(tmp_path / "nope.csv")


BADINPUT = Path(__file__).parent / "badinput"
BADINPUT_EXPECTED = {
    "corrupt_zip.xlsx": r"is not a valid XLSX workbook",
    "duplicate_headers_bom.csv": r"duplicated column names '性别'",
    "header_only_gb18030.csv": r"has a header row but no data rows",
    "ragged_pipe.txt": r"line 2: 3 fields but the header has 2 \(delimiter '\|'\)",
    "utf16_no_data.csv": r"has a header row but no data rows",
}


def test_badinput_corpus_is_complete() -> None:
    assert sorted(p.name for p in BADINPUT.iterdir()) == sorted(BADINPUT_EXPECTED)


@pytest.mark.parametrize(("name", "pattern"), sorted(BADINPUT_EXPECTED.items()))
def test_badinput_corpus(name: str, pattern: str) -> None:
    path = BADINPUT / name
    before = path.read_bytes()
    with pytest.raises(SurveyFileError, match=f"^{re.escape(str(path))}: {pattern}"):
        read_survey(path)
    assert path.read_bytes() == before


# --- helpers ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("1.您的性别", (1, "您的性别")),
        ("2、您所在单位", (2, "您所在单位")),
        ("12．年龄", (12, "年龄")),
        ("Q3. Overall", (3, "Overall")),
        ("q10：评价", (10, "评价")),
        ("Q7", (7, "")),
        ("第5题 预案", (5, "预案")),
        ("（6）物资", (6, "物资")),
        ("1.5小时以内", (None, "1.5小时以内")),
        ("2019年", (None, "2019年")),
        (" 提交答卷时间 ", (None, "提交答卷时间")),
    ],
)
def test_split_question_header(header: str, expected: tuple[int | None, str]) -> None:
    assert split_question_header(header) == expected


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120秒", 120.0),
        ("2分30秒", 150.0),
        ("1小时2分", 3720.0),
        ("1小时", 3600.0),
        ("3分钟", 180.0),
        (" 45 ", 45.0),
        ("12.5", 12.5),
        (90, 90.0),
        (90.5, 90.5),
        ("00:02:30", 150.0),
        ("2:05", 125.0),
    ],
)
def test_parse_duration_seconds(value: object, seconds: float) -> None:
    assert parse_duration_seconds(value) == seconds


def test_parse_duration_missing_and_garbage() -> None:
    assert math.isnan(parse_duration_seconds(None))
    assert math.isnan(parse_duration_seconds(float("nan")))
    assert math.isnan(parse_duration_seconds(""))
    for garbage in ("abc", "2分钟半", "秒", "-5", "1天", True):
        with pytest.raises(SurveyFileError, match="is not a duration"):
            parse_duration_seconds(garbage, where="x.xlsx: row 3, column 所用时间")
    with pytest.raises(SurveyFileError, match=r"^x\.xlsx: row 3, column 所用时间: value 'abc'"):
        parse_duration_seconds("abc", where="x.xlsx: row 3, column 所用时间")


# --- more shapes of real exports -------------------------------------------------------------------------


def test_csv_crlf_bom_and_quoted_newlines(tmp_path: Path) -> None:
    path = tmp_path / "wjx.csv"
    text = '序号,意见\r\n1,"第一行\r\n第二行"\r\n2,"含,逗号"\r\n\r\n'
    path.write_bytes(text.encode("utf-8-sig"))
    df = read_survey(path)
    assert list(df.columns) == ["序号", "意见"]  # no BOM left in the first header
    assert df["意见"].tolist() == ["第一行\r\n第二行", "含,逗号"]
    assert df.attrs["source"]["n_rows"] == 2


def test_xlsx_header_only_duplicates_and_sheet_positions(tmp_path: Path) -> None:
    path = tmp_path / "h.xlsx"
    _write_xlsx(path, [["a", "b"]])
    with pytest.raises(SurveyFileError, match=r"h\.xlsx: has a header row but no data rows"):
        read_survey(path)
    path = tmp_path / "d.xlsx"
    _write_xlsx(path, [["1.性别", "1.性别 "], ["男", "女"]])
    with pytest.raises(SurveyFileError, match=r"d\.xlsx: duplicated column names '1\.性别'"):
        read_survey(path)
    with pytest.raises(SurveyFileError, match=r"d\.xlsx: sheet=5 is out of range; the workbook has 2 sheet"):
        read_survey(path, sheet=5)
    with pytest.raises(SurveyFileError, match=r"d\.xlsx: sheet '其他' is empty"):
        read_survey(path, sheet=1)


def test_xlsx_keeps_cell_types_and_drops_empty_formatted_range(tmp_path: Path) -> None:
    import datetime as dt

    path = tmp_path / "t.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["提交答卷时间", "所用时间", "4.年龄"])
    ws.append([dt.datetime(2024, 5, 1, 10, 0), "2分30秒", 35])
    ws.append([dt.datetime(2024, 5, 1, 11, 0), "1小时2分", None])
    ws["F10"].number_format = "0.00"  # formatting far outside the data, no value
    ws["E1"] = "   "  # a header cell holding only spaces, nothing below
    wb.save(path)
    df = read_survey(path)
    assert list(df.columns) == ["提交答卷时间", "所用时间", "4.年龄"]
    assert df.loc[0, "提交答卷时间"] == dt.datetime(2024, 5, 1, 10, 0)
    assert df.loc[0, "4.年龄"] == 35 and pd.isna(df.loc[1, "4.年龄"])
    assert len(df) == 2


def test_csv_trailing_delimiters_are_dropped_but_blank_header_over_data_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "trailing.csv"
    path.write_text("a,b,\n1,2,\n3,4,\n", encoding="utf-8")
    df = read_survey(path)
    assert list(df.columns) == ["a", "b"] and df["b"].tolist() == ["2", "4"]
    path = tmp_path / "blankdata.csv"
    path.write_text("a,b,\n1,2,\n3,4,x\n", encoding="utf-8")
    with pytest.raises(SurveyFileError, match=r"blankdata\.csv: column 3 has a blank header"):
        read_survey(path)


# --- reads that would lose data: hidden sheets, formulas without values, merged body cells, BOMs ----------


def _survey_rows(n: int, *, tag: str = "") -> list[list[object]]:
    return [["序号", "1.您的性别", "5.预案"], *[[k, f"男{tag}", "同意"] for k in range(1, n + 1)]]


def test_xlsx_hidden_first_sheet_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "hidden.xlsx"
    wb = openpyxl.Workbook()
    hidden = wb.active
    hidden.title = "旧数据"
    for row in _survey_rows(5, tag="旧"):
        hidden.append(row)
    visible = wb.create_sheet("问卷")
    for row in _survey_rows(200):
        visible.append(row)
    hidden.sheet_state = "hidden"
    wb.active = 0  # the active tab points at the hidden sheet, as a careless save leaves it
    wb.save(path)
    df = read_survey(path)
    assert len(df) == 200 and df.attrs["source"]["sheet"] == "问卷"
    assert set(df["1.您的性别"]) == {"男"}
    # asked for by name or position, a hidden sheet is read
    assert len(read_survey(path, sheet="旧数据")) == 5
    assert len(read_survey(path, sheet=0)) == 5


def test_xlsx_active_visible_sheet_and_all_hidden(tmp_path: Path) -> None:
    path = tmp_path / "active.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active.append(["本表为导出说明"])
    data = wb.create_sheet("问卷")
    for row in _survey_rows(3):
        data.append(row)
    wb.active = 1
    wb.save(path)
    assert read_survey(path).attrs["source"]["sheet"] == "问卷"
    # openpyxl refuses to save a workbook without a visible sheet: hide them in the saved XML
    import io
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as out:
        for info in src.infolist():
            part = src.read(info)
            if info.filename == "xl/workbook.xml":
                # every <sheet> element, whatever its attribute order (openpyxl writes another with lxml)
                part = re.sub(rb"<sheet ", b'<sheet state="hidden" ', re.sub(rb' state="\w+"', b"", part))
            out.writestr(info, part)
    path.write_bytes(buf.getvalue())
    with pytest.raises(SurveyFileError, match=r"active\.xlsx: every sheet is hidden \('说明', '问卷'\); .*--sheet"):
        read_survey(path)


def test_xlsx_formulas_without_cached_values_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "formula.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "问卷"
    ws.append(["序号", "5.预案", "6.修订"])
    for k in range(1, 5):
        ws.append([k, 4, f"=B{k + 1}+1"])  # openpyxl writes formulas without a cached value
    wb.save(path)
    with pytest.raises(SurveyFileError) as info:
        read_survey(path)
    message = str(info.value)
    assert message.startswith(f"{path}: sheet '问卷': 4 formula cell(s) without a cached value (C2:C5)")
    assert "open and save the file in Excel/WPS" in message and "export CSV" in message
    assert "\n" not in message


def test_xlsx_merged_cells_in_the_body_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "merged_body.xlsx"
    _write_xlsx(path, _survey_rows(6), merge="B3:B5")
    with pytest.raises(
        SurveyFileError, match=r"merged_body\.xlsx: sheet '问卷' has merged cells in the data \(B3:B5\)"
    ):
        read_survey(path)
    # a merge outside the data (below the last row) loses nothing
    path = tmp_path / "merged_below.xlsx"
    _write_xlsx(path, _survey_rows(6), merge="A20:C21")
    assert len(read_survey(path)) == 6


@pytest.mark.parametrize("n_boms", [1, 2, 3])
@pytest.mark.parametrize("encoding", [None, "utf-8"])
def test_csv_repeated_byte_order_marks_keep_the_id_column(tmp_path: Path, n_boms: int, encoding: str | None) -> None:
    path = tmp_path / "boms.csv"
    path.write_bytes(b"\xef\xbb\xbf" * n_boms + "序号,性别\n1,男\n2,女\n".encode())
    df = read_survey(path, encoding=encoding)
    assert list(df.columns) == ["序号", "性别"]
    assert df["序号"].tolist() == ["1", "2"]


def _slow_read(path: Path, data: bytes, delim: str) -> pd.DataFrame:
    from emstudy.survey.readers import _decode, _read_csv_rows

    text, _used = _decode(path, data, None)
    return _read_csv_rows(path, text.lstrip("\ufeff"), delim)


def test_fast_csv_reader_agrees_with_the_row_reader_on_the_study_files(project) -> None:
    from emstudy.survey.readers import _read_csv_fast

    for path in sorted(project.raw_dir.glob("*.csv")):
        data = path.read_bytes()
        df = read_survey(path)
        fast = _read_csv_fast(path, data, 3 if data.startswith(b"\xef\xbb\xbf") else 0, "utf-8", ",")
        assert fast is not None, path  # the clean exports take the fast path
        pd.testing.assert_frame_equal(df, _slow_read(path, data, ","), check_exact=True)
        pd.testing.assert_frame_equal(fast, df, check_exact=True)


_CELLS = st.one_of(st.sampled_from(["", "  "]), st.text(alphabet=list('ab 同意,"\n\r;'), max_size=6))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    header=st.lists(st.text(alphabet="xyz问卷", min_size=1, max_size=3), min_size=1, max_size=4, unique=True),
    body=st.lists(st.lists(_CELLS, min_size=0, max_size=5), min_size=1, max_size=6),
    crlf=st.booleans(),
)
def test_fast_and_row_readers_give_the_same_table_or_the_same_error(tmp_path: Path, header, body, crlf) -> None:
    import csv as csv_module
    import io

    from emstudy.survey.readers import _read_csv_fast

    buf = io.StringIO()
    csv_module.writer(buf, lineterminator="\r\n" if crlf else "\n").writerows([header, *body])
    data = buf.getvalue().encode("utf-8")
    path = tmp_path / "p.csv"
    try:
        slow: pd.DataFrame | str = _slow_read(path, data, ",")
    except SurveyFileError as exc:
        slow = str(exc)
    try:
        fast: pd.DataFrame | str | None = _read_csv_fast(path, data, 0, "utf-8", ",")
    except SurveyFileError as exc:
        fast = str(exc)
    if fast is None:  # declined: the row reader decides
        return
    if isinstance(slow, str) or isinstance(fast, str):
        assert fast == slow
    else:
        pd.testing.assert_frame_equal(fast, slow, check_exact=True)


@pytest.mark.parametrize("case_id", ["chaoyang", "h_district", "wencheng", "xilinguole", "yima"])
def test_compact_read_gives_the_same_cells(case_id):
    # validate reads compactly (categorical columns, in chunks) to stay within its memory target; the
    # cells must be exactly those of the ordinary read, missing cells included
    path = Path(__file__).resolve().parents[1] / "data" / "raw" / f"{case_id}.csv"
    plain = read_survey(path)
    compact = read_survey(path, compact=True)
    assert list(compact.columns) == list(plain.columns)
    for column in plain.columns:
        a = plain[column].astype(object).where(plain[column].notna(), None).tolist()
        b = compact[column].astype(object).where(compact[column].notna(), None).tolist()
        assert a == b, column
