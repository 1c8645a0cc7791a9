"""The bad-input corpus through the command line: one line naming the problem, exit 2, no traceback, and no
file of the project or of the inputs changed.

Every bad file is written by the test itself from a small valid survey (the first rows of yima.csv).
"""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from emstudy.cli import main
from emstudy.steps.context import read_raw


def snapshot(*folders: Path) -> dict[str, str]:
    return {
        str(p): hashlib.sha256(p.read_bytes()).hexdigest()
        for folder in folders
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def good_frame(project_root: Path, n: int = 12):
    return read_raw(project_root / "data" / "raw" / "yima.csv").head(n)


def header(codebook, field: str) -> str:
    return codebook.export_headers[field]


def _xlsx_bytes(frame) -> bytes:
    buf = io.BytesIO()
    frame.to_excel(buf, index=False)
    return buf.getvalue()


def _xlsx_input(kind: str, frame, inputs: Path) -> tuple[list[str], str]:
    """The XLSX exports that cannot be read faithfully, built with openpyxl."""
    import openpyxl

    path = inputs / "survey.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "问卷"
    ws.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        ws.append(list(row))
    if kind == "xlsx formulas without cached values":
        for r in range(2, len(frame) + 2):
            ws[f"A{r}"] = "=ROW()-1"  # the respondent id as a formula, saved without its value
        message = f"{path}: sheet '问卷': {len(frame)} formula cell(s) without a cached value (A2:A{len(frame) + 1})"
    else:
        ws.merge_cells("F4:F6")
        message = f"{path}: sheet '问卷' has merged cells in the data (F4:F6)"
    wb.save(path)
    return ["validate", str(path)], message


def make_input(kind: str, root: Path, inputs: Path, codebook) -> tuple[list[str], str]:
    """Write the bad input for ``kind``; return the command arguments and the expected message."""
    frame = good_frame(root)
    csv = inputs / "survey.csv"
    mapping = inputs / "mapping.yml"
    mapping.write_text("columns: {}\n", encoding="utf-8")
    validate = ["validate", str(csv), "--mapping", str(mapping)]
    if kind == "empty file":
        csv.write_bytes(b"")
        return validate, f"{csv}: file is empty (0 bytes)"
    if kind == "header only":
        csv.write_bytes(",".join(frame.columns).encode("gb18030") + b"\n")
        return validate, f"{csv}: has a header row but no data rows"
    if kind == "wrong encoding":
        csv.write_bytes(frame.to_csv(index=False).encode("utf-8") + "1,\xff".encode("latin-1"))
        return validate, f"{csv}: cannot be decoded with any of UTF-8 with BOM, UTF-8, GB18030"
    if kind == "merged headers":
        import openpyxl

        path = inputs / "survey.xlsx"
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.append(list(frame.columns))
        for row in frame.itertuples(index=False):
            ws.append(list(row))
        ws.merge_cells(start_row=1, start_column=6, end_row=1, end_column=7)
        wb.save(path)
        return ["validate", str(path)], f"{path}: sheet 'Sheet', column 7 (G) has a blank or merged header cell"
    if kind == "duplicated headers":
        cols = list(frame.columns)
        cols[6] = cols[5]
        csv.write_text(frame.set_axis(cols, axis=1).to_csv(index=False), encoding="utf-8-sig")
        return validate, f"{csv}: duplicated column names {cols[5]!r}"
    if kind == "text in a numeric column":
        frame.loc[4, header(codebook, "duration_s")] = "很快"
        frame.to_csv(csv, index=False)
        return validate, "row 5 (respondent 5), column '所用时间(秒)': value '很快' is not a duration"
    if kind == "label not in the mapping":
        frame.loc[2, header(codebook, "PLN2")] = "有点同意"
        mapping.write_text("labels: {非常符合: 5}\n", encoding="utf-8")
        frame.to_csv(csv, index=False)
        return validate, (
            f"row 3 (respondent 3), column {header(codebook, 'PLN2')!r}: value '有点同意' is not a "
            "code or label of the codebook and not in the mapping's labels"
        )
    if kind == "out-of-range code":
        frame.loc[6, header(codebook, "EFF1")] = "6"
        frame.to_csv(csv, index=False)
        return validate, f"row 7 (respondent 7), column {header(codebook, 'EFF1')!r}: value '6' is off the scale"
    if kind == "duplicate respondent ids":
        frame.loc[8, "序号"] = "3"
        frame.to_csv(csv, index=False)
        return validate, f"{csv}: duplicate respondent id '3' (rows 3, 9); each respondent id must be unique"
    if kind == "truncated xlsx":
        path = inputs / "survey.xlsx"
        data = _xlsx_bytes(frame)
        path.write_bytes(data[: len(data) // 2])
        return ["validate", str(path)], f"{path}: is not a valid XLSX workbook"
    if kind == "xlsx missing a part":
        path = inputs / "survey.xlsx"
        src = zipfile.ZipFile(io.BytesIO(_xlsx_bytes(frame)))
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as out:
            for info in src.infolist():
                if "worksheets/sheet1" not in info.filename:
                    out.writestr(info, src.read(info))
        path.write_bytes(buf.getvalue())
        return ["validate", str(path)], f"{path}: is an XLSX workbook without any worksheet"
    if kind == "question texts swapped (numbers kept)":
        five, nine = header(codebook, "PLN1"), header(codebook, "ORG1")
        swapped = {five: "5." + nine.split(".", 1)[1], nine: "9." + five.split(".", 1)[1]}
        frame.rename(columns=swapped).to_csv(csv, index=False)
        both = f"its number 5 is PLN1 (question 5, {five!r}) but its text is ORG1 (question 9, {nine!r})"
        return validate, f"{csv}: column {swapped[five]!r}: {both}"
    if kind in ("xlsx formulas without cached values", "xlsx merged cells in the body"):
        return _xlsx_input(kind, frame, inputs)
    if kind == "duplicate key in a mapping":
        frame.to_csv(csv, index=False)
        mapping.write_text("columns: {}\nlabels:\n  非常同意: 5\n  非常同意: 1\n", encoding="utf-8")
        return validate, f"{mapping}: line 4, column 3: duplicate key '非常同意' (first given on line 3)"
    if kind == "yaml syntax error":
        frame.to_csv(csv, index=False)
        mapping.write_text("columns:\n  Q1: [PLN1\nlabels: {}\n", encoding="utf-8")
        return validate, f"{mapping}: YAML syntax error: line "
    if kind == "yaml syntax error in a case mapping":
        bad = root / "data" / "mappings" / "yima.yml"
        bad.parent.mkdir(parents=True, exist_ok=True)
        bad.write_text("labels: {非常符合: 5\n", encoding="utf-8")
        return ["run", "--case", "yima", "--notebook", "01_data_quality"], f"{bad}: YAML syntax error: line "
    if kind == "case id with a path (run)":
        return ["run", "--case", "../yima"], "case id '../yima' is not valid"
    if kind == "case id with a path (new-case)":
        return ["new-case", "cases/x"], "case id 'cases/x' is not valid"
    if kind == "case id with a path (checksum)":
        return ["checksum", "/etc/passwd"], "case id '/etc/passwd' is not valid"
    raise AssertionError(kind)


KINDS = [
    "empty file",
    "header only",
    "wrong encoding",
    "merged headers",
    "duplicated headers",
    "text in a numeric column",
    "label not in the mapping",
    "out-of-range code",
    "duplicate respondent ids",
    "truncated xlsx",
    "xlsx missing a part",
    "question texts swapped (numbers kept)",
    "xlsx formulas without cached values",
    "xlsx merged cells in the body",
    "duplicate key in a mapping",
    "yaml syntax error",
    "yaml syntax error in a case mapping",
    "case id with a path (run)",
    "case id with a path (new-case)",
    "case id with a path (checksum)",
]


@pytest.mark.parametrize("kind", KINDS)
def test_bad_input_gives_its_one_line_message(kind, project_copy, codebook, tmp_path, capsys):
    root = project_copy.root
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    args, message = make_input(kind, root, inputs, codebook)
    before = snapshot(root, inputs)
    assert main(["--root", str(root), *args]) == 2
    captured = capsys.readouterr()
    err = captured.err
    assert err.startswith("emstudy: error: "), err
    assert err.count("\n") == 1 and "Traceback" not in err + captured.out
    assert message in err, err
    assert snapshot(root, inputs) == before
    assert not (root / "analysis").exists()


def test_console_script_bad_inputs_print_no_traceback(project, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    for args, message in (
        (["validate", str(empty)], f"{empty}: file is empty"),
        (["new-case", "../x"], "case id '../x' is not valid"),
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "emstudy.cli", "--root", str(project.root), *args],
            capture_output=True,
            text=True,
            cwd=tmp_path,
        )
        assert proc.returncode == 2
        assert proc.stderr.startswith("emstudy: error: ") and message in proc.stderr
        assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
