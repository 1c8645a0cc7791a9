"""Read survey exports as they come: CSV/TXT, XLSX (survey-platform exports), SPSS ``.sav``, Stata ``.dta``.

:func:`read_survey` returns the file's cells without interpreting them (the encoder downstream decides
what a cell means) and records where they came from in ``df.attrs["source"]``. The file is read once,
in binary read-only mode, and every format is parsed from those bytes, so the recorded SHA-256 is the
checksum of exactly what was parsed. Every problem a user can fix raises
:class:`~emstudy.errors.SurveyFileError` with a one-line message that names the file.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import math
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from emstudy.errors import SurveyFileError
from emstudy.survey.cells import CHUNK_ROWS, compact_chunks

__all__ = [
    "SUPPORTED_EXTENSIONS",
    "SUBMIT_TIME_COLUMNS",
    "DURATION_COLUMNS",
    "read_survey",
    "split_question_header",
    "parse_duration_seconds",
]

SUPPORTED_EXTENSIONS: dict[str, str] = {
    **dict.fromkeys((".csv", ".txt", ".tsv"), "csv"),
    **dict.fromkeys((".xlsx", ".xlsm"), "xlsx"),
    **dict.fromkeys((".sav", ".zsav"), "sav"),
    ".dta": "dta",
}
"""File extensions :func:`read_survey` reads, and the format each is parsed as."""

SUBMIT_TIME_COLUMNS: tuple[str, ...] = ("提交答卷时间", "提交时间", "答题时间", "submit_time")
"""Column names survey platforms use for the submission time."""

DURATION_COLUMNS: tuple[str, ...] = ("所用时间", "答题时长", "作答时长", "duration")
"""Column names survey platforms use for the time taken (values like ``120秒``, ``2分30秒``)."""

# Encodings tried in order when none is given; (codec, name shown to the user).
_ENCODINGS: tuple[tuple[str, str], ...] = (("utf-8-sig", "UTF-8 with BOM"), ("utf-8", "UTF-8"), ("gb18030", "GB18030"))
_DELIMITERS = ",;\t|"
_DELIMITER_NAMES = {",": "','", ";": "';'", "\t": "tab", "|": "'|'"}


def _fail(path: Path | str, message: str) -> SurveyFileError:
    one_line = " ".join(str(message).split())
    return SurveyFileError(f"{path}: {one_line}")


def _column_letter(index: int) -> str:
    """Spreadsheet letter of a 0-based column index (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def read_survey(
    path: str | Path,
    *,
    sheet: str | int | None = None,
    encoding: str | None = None,
    delimiter: str | None = None,
    compact: bool = False,
) -> pd.DataFrame:
    """Read a survey export into a data frame of its cells.

    Parameters
    ----------
    path : str or pathlib.Path
        A ``.csv``/``.txt``/``.tsv``, ``.xlsx``/``.xlsm``, ``.sav``/``.zsav`` or ``.dta`` file. It is
        opened read-only and never modified.
    sheet : str or int, optional
        XLSX only: the sheet name or 0-based position; default the first sheet.
    encoding : str, optional
        CSV (and SPSS/Stata, passed to pyreadstat): the text encoding. By default a CSV is decoded with
        the first of UTF-8 with BOM, UTF-8 and GB18030 (which covers GBK and GB2312) that decodes all of
        its bytes; a UTF-16 file with a byte-order mark is also recognised.
    delimiter : str, optional
        CSV only: the field delimiter. By default it is sniffed among ``,`` ``;`` tab and ``|`` with
        :class:`csv.Sniffer` on the first lines, then by consistent field counts, then by the number of
        header fields, falling back to ``,``.
    compact : bool
        CSV only: long columns of a few repeated strings as categoricals (the same cells in far less memory).

    Returns
    -------
    pandas.DataFrame
        One row per data row and one column per header cell (headers stripped of surrounding
        whitespace). CSV: every column has pandas' string dtype, with empty cells missing and every other
        cell kept verbatim (``"NA"`` stays the string ``"NA"``). XLSX: object columns holding what the
        cells hold (strings, numbers, datetimes; empty cells missing). SPSS/Stata: value labels applied,
        so labelled values are label strings; ``df.attrs["meta"]`` holds ``variable_labels`` (name ->
        label), ``value_labels`` (name -> {code: label}), ``file_label`` and ``file_encoding``; values
        without a label stay numbers and SPSS user-missing codes are read as missing.
        ``df.attrs["source"]`` is ``{"path", "format", "encoding", "delimiter", "sheet", "sha256",
        "n_rows"}``.

    Raises
    ------
    SurveyFileError
        Missing file, empty file, header without data rows, undecodable bytes, duplicated, blank or
        merged header cells, rows longer than the header, corrupt or truncated XLSX/SAV/DTA, unknown sheet,
        unsupported extension.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "s.csv"
    >>> _ = p.write_bytes("性别;Q1\\n男;5\\n女;\\n".encode("gb18030"))
    >>> df = read_survey(p)
    >>> df["性别"].tolist(), df.attrs["source"]["encoding"], df.attrs["source"]["delimiter"]
    (['男', '女'], 'gb18030', ';')
    """
    p = Path(path)
    ext = p.suffix.lower()
    if ext not in SUPPORTED_EXTENSIONS:
        supported = ", ".join(SUPPORTED_EXTENSIONS)
        hint = " (save .xls workbooks as .xlsx)" if ext == ".xls" else ""
        raise _fail(p, f"unsupported file type {ext or '(no extension)'!r}; expected one of {supported}{hint}")
    if not p.exists():
        raise _fail(p, "file not found")
    if not p.is_file():
        raise _fail(p, "is not a regular file")
    try:
        with open(p, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise _fail(p, f"cannot be read ({exc.strerror or exc})") from exc
    if not data:
        raise _fail(p, "file is empty (0 bytes)")
    fmt = SUPPORTED_EXTENSIONS[ext]
    source: dict[str, Any] = {
        "path": str(p),
        "format": fmt,
        "encoding": None,
        "delimiter": None,
        "sheet": None,
        "sha256": hashlib.sha256(data).hexdigest(),
        "n_rows": 0,
    }
    meta: dict[str, Any] | None = None
    if fmt == "csv":
        df, source["encoding"], source["delimiter"] = _read_csv(
            p, data, encoding=encoding, delimiter=delimiter, compact=compact
        )
    elif fmt == "xlsx":
        df, source["sheet"] = _read_xlsx(p, data, sheet=sheet)
    else:
        df, meta, source["encoding"] = _read_stat(p, data, fmt=fmt, encoding=encoding)
    del data  # a big file's bytes are not kept while the table is analysed
    if len(df) == 0:
        raise _fail(p, "has a header row but no data rows")
    source["n_rows"] = int(len(df))
    df.attrs["source"] = source
    if meta is not None:
        df.attrs["meta"] = meta
    return df


# --- headers ---------------------------------------------------------------------------------------------


def _check_headers(p: Path, raw: list[Any], *, spreadsheet: bool) -> list[str]:
    headers: list[str] = []
    for i, h in enumerate(raw):
        text = "" if h is None or (isinstance(h, float) and math.isnan(h)) else str(h).strip()
        if not text:
            where = f"column {i + 1} ({_column_letter(i)})" if spreadsheet else f"column {i + 1}"
            kind = "blank or merged header cell" if spreadsheet else "blank header"
            raise _fail(p, f"{where} has a {kind}; every column needs its own name in the first row")
        headers.append(text)
    seen: dict[str, int] = {}
    dups: list[str] = []
    for h in headers:
        seen[h] = seen.get(h, 0) + 1
        if seen[h] == 2:
            dups.append(h)
    if dups:
        listed = ", ".join(repr(d) for d in dups)
        raise _fail(p, f"duplicated column names {listed}; each header must be unique")
    return headers


# --- CSV -------------------------------------------------------------------------------------------------


def _decode(p: Path, data: bytes, encoding: str | None) -> tuple[str, str]:
    if encoding is not None:
        try:
            return data.decode(encoding), encoding
        except LookupError as exc:
            raise _fail(p, f"unknown encoding {encoding!r}") from exc
        except UnicodeDecodeError as exc:
            raise _fail(
                p, f"cannot be decoded as {encoding} (byte 0x{data[exc.start]:02x} at offset {exc.start})"
            ) from exc
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise _fail(p, f"has a UTF-16 byte-order mark but is not valid UTF-16 (offset {exc.start})") from exc
    first_error: UnicodeDecodeError | None = None
    for codec, _name in _ENCODINGS:
        if codec == "utf-8-sig" and not data.startswith(b"\xef\xbb\xbf"):
            continue
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError as exc:
            first_error = first_error or exc
    tried = ", ".join(name for _codec, name in _ENCODINGS)
    at = f" (first bad byte 0x{data[first_error.start]:02x} at offset {first_error.start})" if first_error else ""
    raise _fail(p, f"cannot be decoded with any of {tried}{at}; save it as UTF-8 or pass encoding=")


def _field_counts(sample: str, delim: str) -> list[int]:
    lines = [line for line in sample.splitlines() if line.strip()][:20]
    try:
        return [len(row) for row in csv.reader(lines, delimiter=delim)]
    except csv.Error:
        return []


def _sniff_delimiter(text: str) -> str:
    lines = text.splitlines()[:20]
    sample = "\n".join(lines)
    try:
        found = csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        found = None
    if found is not None:
        counts = _field_counts(sample, found)
        if counts and counts[0] > 1 and all(c == counts[0] for c in counts):
            return found
    best, best_n = ",", 1
    for delim in _DELIMITERS:
        counts = _field_counts(sample, delim)
        if counts and counts[0] > best_n and all(c == counts[0] for c in counts):
            best, best_n = delim, counts[0]
    if best_n > 1:
        return best
    # No delimiter gives consistent rows (a ragged file): take the one that splits the header most.
    for delim in _DELIMITERS:
        counts = _field_counts(sample, delim)
        if counts and counts[0] > best_n:
            best, best_n = delim, counts[0]
    return best


def _read_csv(
    p: Path, data: bytes, *, encoding: str | None, delimiter: str | None, compact: bool = False
) -> tuple[pd.DataFrame, str, str]:
    if delimiter is not None and (not isinstance(delimiter, str) or len(delimiter) != 1):
        raise _fail(p, f"delimiter must be a single character, got {delimiter!r}")
    used = _detect_codec(p, data, encoding)
    if used in ("utf-8", "utf-8-sig", "gb18030") and b"\x00" not in data:
        # Every leading byte-order mark is dropped (an export saved twice starts with two; one would stick to a name).
        start = 0
        while data.startswith(_UTF8_BOM, start):
            start += len(_UTF8_BOM)
        head = codecs.getincrementaldecoder(used)().decode(data[start : start + _SNIFF_BYTES])
        delim = delimiter or _sniff_delimiter(head)
        df = _read_csv_fast(p, data, start, used, delim, compact)
        if df is not None:
            return df, used, delim
    text, used = _decode(p, data, encoding)
    text = text.lstrip("\ufeff")
    if "\x00" in text:
        raise _fail(p, "contains NUL bytes; expected a text (CSV) file")
    delim = delimiter or _sniff_delimiter(text)
    return _read_csv_rows(p, text, delim), used, delim


_UTF8_BOM = b"\xef\xbb\xbf"
_SNIFF_BYTES = 1 << 16


def _detect_codec(p: Path, data: bytes, encoding: str | None) -> str:
    """The codec that decodes all of ``data`` (checked in slices, so no decoded copy of a big file is kept)."""
    if encoding is not None or data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _decode(p, data, encoding)[1]  # explicit encodings and UTF-16 are read by the row-by-row reader
    for codec, _name in _ENCODINGS:
        if codec == "utf-8-sig" and not data.startswith(_UTF8_BOM):
            continue
        decoder = codecs.getincrementaldecoder(codec)()
        try:
            for k in range(0, len(data), 1 << 22):
                decoder.decode(data[k : k + (1 << 22)])
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return codec
    return _decode(p, data, encoding)[1]  # raises the message naming the first bad byte


def _read_csv_fast(
    p: Path, data: bytes, start: int, codec: str, delim: str, compact: bool = False
) -> pd.DataFrame | None:
    """pandas' C parser on a well-formed file; None when the file needs the row-by-row reader's checks
    (ragged rows, unbalanced quotes): that reader then gives the same table or the message naming the line."""
    (stream := io.BytesIO(data)).seek(start)  # shares the bytes (a slice or memoryview would be copied)
    try:
        grid = pd.read_csv(
            stream,
            sep=delim,
            header=None,
            dtype=str,
            na_values=[""],
            keep_default_na=False,
            skip_blank_lines=True,
            encoding="utf-8" if codec == "utf-8-sig" else codec,
            engine="c",
            quotechar='"',
            doublequote=True,
            escapechar=None,
            comment=None,
            skipinitialspace=False,
            chunksize=CHUNK_ROWS if compact else None,
        )
        grid = compact_chunks(grid) if compact else grid
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError, OverflowError):
        return None
    if any(isinstance(c, str) and "\ufeff" in c for c in grid.iloc[0]):
        return None
    # Rows whose cells are all blank (",,," or spaces) are skipped, as blank lines are.
    first = grid[0]
    maybe = np.flatnonzero((first.isna() | (first.str.strip() == "")).to_numpy())
    if len(maybe):
        sub = grid.iloc[maybe]
        blank = np.logical_and.reduce([(sub[c].isna() | (sub[c].str.strip() == "")).to_numpy() for c in grid.columns])
        grid = grid.drop(index=grid.index[maybe[blank]])
    if len(grid) == 0:
        return None
    header = ["" if pd.isna(h) else str(h).strip() for h in grid.iloc[0]]
    body = grid.iloc[1:].reset_index(drop=True)
    del grid
    keep = [j for j, h in enumerate(header) if h or body[j].notna().any()]
    for j in keep:
        if not header[j]:
            raise _fail(p, f"column {j + 1} has a blank header; every column needs its own name in the first row")
    names = _check_headers(p, [header[j] for j in keep], spreadsheet=False)
    return body[keep].set_axis(names, axis=1)


def _read_csv_rows(p: Path, text: str, delim: str) -> pd.DataFrame:
    """The row-by-row reader (csv module): any encoding, ragged rows and malformed quotes with their line."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    header: list[str] | None = None
    rows: list[list[str | None]] = []
    try:
        for record in reader:
            if header is None:
                if not any(cell.strip() for cell in record):
                    continue  # leading blank lines
                header = [cell.strip() for cell in record]
                continue
            if not any(cell.strip() for cell in record):
                continue  # blank line
            if len(record) > len(header):
                extra = record[len(header) :]
                if any(cell.strip() for cell in extra):
                    raise _fail(
                        p,
                        f"line {reader.line_num}: {len(record)} fields but the header has {len(header)} "
                        f"(delimiter {_DELIMITER_NAMES.get(delim, repr(delim))})",
                    )
                record = record[: len(header)]
            cells: list[str | None] = [c if c != "" else None for c in record]
            cells.extend([None] * (len(header) - len(cells)))
            rows.append(cells)
    except csv.Error as exc:
        raise _fail(p, f"line {reader.line_num}: malformed CSV ({exc})") from exc
    if header is None:
        raise _fail(p, "has no header row (only blank lines)")
    # A column with a blank header and no data at all (trailing delimiters) is dropped; a blank header
    # over data is an error.
    keep = [j for j, h in enumerate(header) if h or any(row[j] is not None for row in rows)]
    for j in keep:
        if not header[j]:
            raise _fail(p, f"column {j + 1} has a blank header; every column needs its own name in the first row")
    names = _check_headers(p, [header[j] for j in keep], spreadsheet=False)
    return pd.DataFrame([[row[j] for j in keep] for row in rows], columns=names, dtype="str")


# --- XLSX ------------------------------------------------------------------------------------------------


def _read_xlsx(p: Path, data: bytes, *, sheet: str | int | None) -> tuple[pd.DataFrame, str]:
    import openpyxl  # local import: keep `import emstudy.survey.readers` light

    if not zipfile.is_zipfile(io.BytesIO(data)):
        hint = ""
        if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
            hint = "; it looks like an old .xls or an encrypted workbook, save it as .xlsx without a password"
        elif data[:1] not in (b"P",):
            hint = "; if it is really a CSV file, rename it to .csv"
        raise _fail(p, f"is not a valid XLSX workbook (not a zip archive: truncated or corrupt){hint}")
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=False, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, EOFError) as exc:
        raise _fail(p, f"is not a valid XLSX workbook (truncated or corrupt: {type(exc).__name__}: {exc})") from exc
    except Exception as exc:  # openpyxl raises a variety of parser errors on damaged XML
        raise _fail(p, f"is not a valid XLSX workbook ({type(exc).__name__}: {exc})") from exc
    if not wb.sheetnames:
        raise _fail(p, "is an XLSX workbook without any worksheet; expected the survey table on a sheet")
    name = _choose_sheet(p, wb, sheet)
    ws = wb[name]
    grid = [list(row) for row in ws.iter_rows(values_only=True)]
    merged = [r for r in ws.merged_cells.ranges]
    wb.close()
    # Drop fully empty rows (formatting often extends the used range) and fully empty columns.
    rows = [i for i, row in enumerate(grid) if any(not _is_blank(v) for v in row)]
    if not rows:
        raise _fail(p, f"sheet {name!r} is empty")
    grid = [grid[i] for i in rows]
    width = max(len(row) for row in grid)
    grid = [row + [None] * (width - len(row)) for row in grid]
    keep = [j for j in range(width) if any(not _is_blank(row[j]) for row in grid)]
    header_raw = [grid[0][j] for j in keep]
    try:
        headers = _check_headers(p, header_raw, spreadsheet=True)
    except SurveyFileError:
        # Report the real spreadsheet column, not the position among kept columns.
        for j in keep:
            if _is_blank(grid[0][j]):
                raise _fail(
                    p,
                    f"sheet {name!r}, column {j + 1} ({_column_letter(j)}) has a blank or merged header cell; "
                    "every column needs its own name in the first row",
                ) from None
        raise
    _check_merged_body(p, name, merged, header_row=rows[0] + 1, last_row=rows[-1] + 1)
    _check_cached_formulas(p, data, name, grid_rows=[i + 1 for i in rows], keep=keep, grid=grid)
    body = [[None if _is_blank(row[j]) else row[j] for j in keep] for row in grid[1:]]
    df = pd.DataFrame(body, columns=headers, dtype=object)
    return df, name


def _choose_sheet(p: Path, wb: Any, sheet: str | int | None) -> str:
    """The sheet asked for; by default the active sheet when it is visible, else the first visible one.

    A hidden sheet is read only when asked for by name or position; a workbook whose sheets are all hidden
    is an error naming them.
    """
    names = wb.sheetnames
    if sheet is None:
        visible = [ws.title for ws in wb.worksheets if ws.sheet_state == "visible"]
        if not visible:
            raise _fail(
                p,
                f"every sheet is hidden ({', '.join(map(repr, names))}); unhide the survey sheet in Excel/WPS "
                "or pass --sheet NAME",
            )
        active = wb.active
        return active.title if active is not None and active.title in visible else visible[0]
    if isinstance(sheet, int) and not isinstance(sheet, bool):
        if not 0 <= sheet < len(names):
            raise _fail(p, f"sheet={sheet} is out of range; the workbook has {len(names)} sheet(s): {names}")
        return names[sheet]
    if isinstance(sheet, str):
        if sheet not in names:
            raise _fail(p, f"no sheet named {sheet!r}; the sheets are {names}")
        return sheet
    raise _fail(p, f"sheet must be a sheet name or a 0-based position, got {sheet!r}")


def _check_merged_body(p: Path, name: str, merged: list[Any], *, header_row: int, last_row: int) -> None:
    """Merged cells below the header keep their value in the top-left cell only: refuse them."""
    body = [r for r in merged if r.max_row > header_row and r.min_row <= last_row]
    if body:
        ranges = ", ".join(r.coord for r in sorted(body, key=lambda r: (r.min_row, r.min_col))[:5])
        raise _fail(
            p,
            f"sheet {name!r} has merged cells in the data ({ranges}); a merged range keeps its value in its "
            "first cell only, so unmerge them in Excel/WPS (and fill each cell) or export CSV",
        )


_FORMULA_TYPES = frozenset({"ArrayFormula", "DataTableFormula"})


def _check_cached_formulas(
    p: Path, data: bytes, name: str, *, grid_rows: list[int], keep: list[int], grid: list[list[Any]]
) -> None:
    """Formula cells saved without a cached value read as empty: refuse them, naming the cells."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        has_formula = any(
            info.filename.startswith("xl/worksheets/") and re.search(rb"<f[ >/]", zf.read(info.filename))
            for info in zf.infolist()
        )
    if not has_formula:
        return
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    formulas = {}
    for r, row in enumerate(wb[name].iter_rows(values_only=True), start=1):
        for c, value in enumerate(row, start=1):
            if (isinstance(value, str) and value.startswith("=")) or type(value).__name__ in _FORMULA_TYPES:
                formulas[(r, c)] = value
    wb.close()
    row_pos = {r: i for i, r in enumerate(grid_rows)}
    uncached = [
        f"{_column_letter(c - 1)}{r}"
        for (r, c) in sorted(formulas, key=lambda rc: (rc[1], rc[0]))
        if r not in row_pos or (c - 1 < len(grid[row_pos[r]]) and grid[row_pos[r]][c - 1] is None)
    ]
    if uncached:
        cells = _cell_ranges(uncached)
        raise _fail(
            p,
            f"sheet {name!r}: {len(uncached)} formula cell(s) without a cached value ({cells}) would read as "
            "empty; open and save the file in Excel/WPS so the values are cached, or export CSV",
        )


def _cell_ranges(cells: list[str]) -> str:
    """Cells such as ``C2 C3 C4 E7`` (sorted by column, then row) as ``C2:C4, E7`` (at most five ranges)."""
    out: list[str] = []
    start = prev = None
    for cell in cells + [None]:
        m = re.match(r"([A-Z]+)(\d+)", cell) if cell else None
        cur = (m.group(1), int(m.group(2))) if m else None
        if prev is not None and cur is not None and cur[0] == prev[0] and cur[1] == prev[1] + 1:
            prev = cur
            continue
        if start is not None:
            out.append(f"{start[0]}{start[1]}" + (f":{prev[0]}{prev[1]}" if prev != start else ""))
        start = prev = cur
    return ", ".join(out[:5]) + (f" and {len(out) - 5} more range(s)" if len(out) > 5 else "")


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# --- SPSS / Stata ----------------------------------------------------------------------------------------


def _read_stat(
    p: Path, data: bytes, *, fmt: str, encoding: str | None
) -> tuple[pd.DataFrame, dict[str, Any], str | None]:
    import pyreadstat

    reader = pyreadstat.read_sav if fmt == "sav" else pyreadstat.read_dta
    kind = "SPSS" if fmt == "sav" else "Stata"
    try:
        df, meta = reader(io.BytesIO(data), apply_value_formats=True, formats_as_category=False, encoding=encoding)
    except Exception as exc:  # pyreadstat raises ReadstatError, PyreadstatError, UnicodeDecodeError...
        msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise _fail(p, f"is not a readable {kind} file (truncated or corrupt: {msg})") from exc
    # Labels as strings: labelled cells already are; make sure category-like leftovers are plain objects.
    for col in meta.variable_value_labels or {}:
        if col in df.columns:
            df[col] = df[col].astype(object)
    info = {
        "variable_labels": dict(meta.column_names_to_labels or {}),
        "value_labels": {k: dict(v) for k, v in (meta.variable_value_labels or {}).items()},
        "file_label": meta.file_label,
        "file_encoding": meta.file_encoding,
    }
    return df, info, meta.file_encoding or encoding


# --- helpers for platform exports ------------------------------------------------------------------------

_Q_PATTERNS = (
    re.compile(r"^\s*[Qq]\s*(\d+)\s*(?:[.．、:：)）_\-](?!\d)|\s|$)\s*(.*)$", re.S),
    re.compile(r"^\s*第\s*(\d+)\s*题\s*[.．、:：)）]?\s*(.*)$", re.S),
    re.compile(r"^\s*(\d+)\s*(?:[.．](?!\d)|[、:：)）])\s*(.*)$", re.S),
    re.compile(r"^\s*[(（]\s*(\d+)\s*[)）]\s*(.*)$", re.S),
)


def split_question_header(header: str) -> tuple[int | None, str]:
    """Split a survey-platform header such as ``1.您的性别`` into its question number and text.

    Parameters
    ----------
    header : str
        A column header. Recognised numbering: ``1.`` ``1．`` ``2、`` ``3:`` ``4)`` ``Q3.`` ``Q3 `` ``Q3``
        ``第5题`` ``(6)``. A number followed by a decimal point and digit (``1.5小时``) is not a
        question number.

    Returns
    -------
    (int or None, str)
        The question number (None when the header is not numbered) and the text, stripped.

    Examples
    --------
    >>> split_question_header("1.您的性别")
    (1, '您的性别')
    >>> split_question_header("2、您所在单位")
    (2, '您所在单位')
    >>> split_question_header("Q3. Overall rating")
    (3, 'Overall rating')
    >>> split_question_header("提交答卷时间")
    (None, '提交答卷时间')
    """
    if not isinstance(header, str):
        raise TypeError(f"header: expected a string, got {type(header).__name__}")
    for pattern in _Q_PATTERNS:
        m = pattern.match(header)
        if m:
            return int(m.group(1)), m.group(2).strip()
    return None, header.strip()


_DURATION_RE = re.compile(
    r"^(?:(?P<h>\d+(?:\.\d+)?)\s*(?:小时|时|h|hr|hours?)\s*)?"
    r"(?:(?P<m>\d+(?:\.\d+)?)\s*(?:分钟|分|min|mins|minutes?|m)\s*)?"
    r"(?:(?P<s>\d+(?:\.\d+)?)\s*(?:秒钟|秒|s|sec|secs|seconds?)\s*)?$",
    re.I,
)
_CLOCK_RE = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)$")


def parse_duration_seconds(value: Any, *, where: str | None = None) -> float:
    """Convert a duration cell (``120秒``, ``2分30秒``, ``1小时2分``, ``00:02:30``, ``120``) to seconds.

    Parameters
    ----------
    value : str or number
        The cell. Plain numbers (and numeric strings) are seconds. Missing values (None, NaN, empty
        string) give NaN.
    where : str, optional
        Prefix for the error message, e.g. ``"data/raw/x.xlsx: row 12, column 所用时间"``.

    Returns
    -------
    float
        Seconds.

    Raises
    ------
    SurveyFileError
        When the value is not a duration or is negative.

    Examples
    --------
    >>> parse_duration_seconds("2分30秒")
    150.0
    >>> parse_duration_seconds("1小时2分")
    3720.0
    >>> parse_duration_seconds(95)
    95.0
    """
    prefix = f"{where}: " if where else ""

    def bad(
        why: str = "expected seconds or a duration like '120秒', '2分30秒', '1小时2分', '00:02:30'",
    ) -> SurveyFileError:
        return SurveyFileError(f"{prefix}value {value!r} is not a duration; {why}")

    if value is None:
        return math.nan
    if isinstance(value, bool):
        raise bad()
    if isinstance(value, int | float):
        if math.isnan(value):
            return math.nan
        if value < 0 or math.isinf(value):
            raise bad("expected a non-negative finite number of seconds")
        return float(value)
    if not isinstance(value, str):
        raise bad()
    text = value.strip()
    if not text:
        return math.nan
    try:
        number = float(text)
    except ValueError:
        pass
    else:
        if number < 0 or math.isinf(number) or math.isnan(number):
            raise bad("expected a non-negative finite number of seconds")
        return number
    m = _CLOCK_RE.match(text)
    if m:
        h, mi, s = m.groups()
        return float(int(h or 0) * 3600 + int(mi) * 60) + float(s)
    m = _DURATION_RE.match(text.replace(" ", ""))
    if m and any(m.group(k) for k in ("h", "m", "s")):
        return sum(float(m.group(k) or 0) * f for k, f in (("h", 3600.0), ("m", 60.0), ("s", 1.0)))
    raise bad()
