"""Scrub personal data from free-text survey answers.

Open questions ("other comments", "your suggestions") sometimes hold a respondent's phone number, resident
ID number, e-mail address or somebody's name. Before an answer is written to ``analysis/`` or quoted in a
report it goes through :func:`scrub_text` (or :func:`scrub_frame` for whole columns), and a later check
can call :func:`find_personal_data` on every output to make sure nothing leaks.

What is detected
----------------
``email``
    ``local@domain.tld`` with ASCII local part and domain.
``id``
    18-character mainland resident ID numbers (居民身份证号码): 17 digits and a check character (digit
    or ``X``/``x``), not preceded by a digit nor, when the check character is a digit, followed by one. The string is treated as an ID when its
    ISO 7064 MOD 11-2 check character is right **or** when characters 7-14 are a plausible birth date
    (a real calendar date from 1900-01-01 up to the year 2099). The second rule deliberately scrubs
    mistyped IDs too: a respondent who gets one digit wrong has still disclosed the rest of their ID.
    An 18-digit string that passes neither test (an order number, say) is left alone.
``phone``
    Mobile numbers ``1[3-9]`` + 9 digits, optionally prefixed by ``+86``/``0086`` and grouped 3-4-4
    with spaces or hyphens; landline numbers with an area code (``010``, ``02x`` or ``0xxx``), optionally
    in ASCII or full-width parentheses or followed by a hyphen or space, then a 7-8 digit local number
    (which may not start with 0 or 1 when it follows the area code without a separator), and an
    optional extension (``-123``, ``转123``, ``ext 123``).
``name``
    Every string listed in ``names``, as an exact substring, longest first.

Not detected: 15-digit first-generation ID numbers, e-mail addresses written with a full-width ``＠``
or with non-ASCII characters, and names that are not listed.

Digit runs are matched whole (a digit may not precede or follow a match), so years (``2019``), amounts
(``8170万元``), dates (``2019年7月19日``, ``2019-07-19``) and other ordinary numbers are not touched.
Both ASCII and full-width digits (``０``-``９``) count as digits.

Replacement scheme
------------------
``replacement_style="tag"`` (the default) replaces a match by ``[PHONE]``, ``[ID]``, ``[EMAIL]`` or
``[NAME]``; ``replacement_style="zh"`` by ``[电话]``, ``[身份证号]``, ``[邮箱]`` or ``[姓名]``. Tags
already in the text (from either scheme) are left as they are, so scrubbing is idempotent.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal

import pandas as pd

from emstudy.errors import EmstudyError

__all__ = [
    "KINDS",
    "TAGS",
    "scrub_text",
    "scrub_frame",
    "find_personal_data",
    "is_valid_resident_id",
    "retag",
    "NAMES_DIR",
    "names_file",
    "read_names_file",
    "files_holding_names",
]

KINDS: tuple[str, ...] = ("email", "id", "phone", "name")
"""The kinds of personal data :func:`find_personal_data` reports."""

TAGS: dict[str, dict[str, str]] = {
    "tag": {"email": "[EMAIL]", "id": "[ID]", "phone": "[PHONE]", "name": "[NAME]"},
    "zh": {"email": "[邮箱]", "id": "[身份证号]", "phone": "[电话]", "name": "[姓名]"},
}
"""Replacement text per ``replacement_style`` and kind."""

_D = "[0-9０-９]"  # a digit, ASCII or full-width
_ND_BEFORE = "(?<![0-9０-９])"
_ND_AFTER = "(?![0-9０-９])"
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")

_EMAIL = r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
_ID = _ND_BEFORE + rf"{_D}{{17}}(?:[0-9０-９]{_ND_AFTER}|[Xx])"
_MOBILE = (
    rf"(?:(?:\+|{_ND_BEFORE}00)\s?86[\s\-]?|{_ND_BEFORE})"
    rf"[1１][3-9３-９]{_D}[\s\-]?{_D}{{4}}[\s\-]?{_D}{{4}}" + _ND_AFTER
)
_AREA = r"0(?:10|2[0-9]|[3-9][0-9]{2})"
_AREA_FW = "０(?:１０|２[０-９]|[３-９][０-９]{2})"
_EXT = rf"(?:\s?(?:-|转|ext\.?|EXT\.?|x|X)\s?{_D}{{1,6}}{_ND_AFTER})?"
_LANDLINE = (
    rf"(?:(?:[(（]\s?(?:{_AREA}|{_AREA_FW})\s?[)）]\s?|{_ND_BEFORE}(?:{_AREA}|{_AREA_FW})[\s\-])"
    rf"{_D}{{7,8}}|{_ND_BEFORE}(?:{_AREA}|{_AREA_FW})[2-9２-９]{_D}{{6,7}}){_ND_AFTER}" + _EXT
)
_EXISTING_TAG = "|".join(
    re.escape(tag) for style in TAGS.values() for tag in sorted(style.values(), key=len, reverse=True)
)

_BASE_PATTERN = f"(?P<tag>{_EXISTING_TAG})|(?P<email>{_EMAIL})|(?P<id>{_ID})|(?P<phone>{_MOBILE}|{_LANDLINE})"
_BASE_RE = re.compile(_BASE_PATTERN)

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def is_valid_resident_id(value: str) -> bool:
    """Whether ``value`` is an 18-character resident ID with a correct ISO 7064 MOD 11-2 check character.

    Parameters
    ----------
    value : str
        The candidate, 17 digits followed by a digit or ``X``/``x`` (full-width digits are accepted).

    Returns
    -------
    bool
        True when the shape is right and the 18th character equals the check character computed from
        the first 17 digits (GB 11643-1999).

    Examples
    --------
    >>> is_valid_resident_id("11010519491231002X")
    True
    >>> is_valid_resident_id("110105194912310021")
    False
    """
    if not isinstance(value, str):
        return False
    s = value.translate(_FULLWIDTH_DIGITS)
    if len(s) != 18 or not s[:17].isascii() or not s[:17].isdigit() or s[17] not in "0123456789Xx":
        return False
    total = sum(int(c) * w for c, w in zip(s[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == s[17].upper()


def _plausible_birth_date(s: str) -> bool:
    try:
        year, month, day = int(s[6:10]), int(s[10:12]), int(s[12:14])
        dt.date(year, month, day)
    except ValueError:
        return False
    return 1900 <= year <= 2099


def _looks_like_id(s: str) -> bool:
    s = s.translate(_FULLWIDTH_DIGITS)
    return is_valid_resident_id(s) or _plausible_birth_date(s)


def _clean_names(names: Iterable[str]) -> list[str]:
    if isinstance(names, str):
        raise TypeError("names: expected a list of names, got a single string (wrap it in a list)")
    out = []
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"names: expected strings, got {name!r}")
        name = name.strip()
        if name:
            out.append(name)
    return sorted(set(out), key=lambda n: (-len(n), n))


@functools.lru_cache(maxsize=64)
def _compile(names: tuple[str, ...]) -> re.Pattern[str]:
    if not names:
        return _BASE_RE
    alternatives = "|".join(re.escape(n) for n in names)
    return re.compile(f"{_BASE_PATTERN}|(?P<name>{alternatives})")


def _iter_matches(text: str, names: Sequence[str]) -> Iterable[tuple[str, tuple[int, int]]]:
    pattern = _compile(tuple(names))
    pos = 0
    while pos <= len(text):
        m = pattern.search(text, pos)
        if m is None:
            return
        kind = m.lastgroup
        if kind == "id" and not _looks_like_id(m.group()):
            # Not an ID: let the other patterns look inside (e.g. a phone cannot, because of the digit
            # boundaries, so the run is skipped as an ordinary number).
            pos = m.end()
            continue
        if kind != "tag":
            yield kind, m.span()
        pos = m.end() if m.end() > m.start() else m.end() + 1


def find_personal_data(text: str, *, names: Iterable[str] = ()) -> list[tuple[str, tuple[int, int]]]:
    """Locate personal data in ``text``.

    Parameters
    ----------
    text : str
        Free text.
    names : iterable of str, optional
        Names to look for as exact substrings (longest first); blank entries are ignored.

    Returns
    -------
    list of (str, (int, int))
        ``(kind, (start, end))`` for each finding, in order and not overlapping; ``kind`` is one of
        :data:`KINDS`. Replacement tags already in the text are not findings.

    Examples
    --------
    >>> find_personal_data("电话13812345678，邮箱a.b@example.com")
    [('phone', (2, 13)), ('email', (16, 31))]
    >>> find_personal_data("2019年7月19日损失8170万元")
    []
    """
    if not isinstance(text, str):
        raise TypeError(f"text: expected a string, got {type(text).__name__}")
    return list(_iter_matches(text, _clean_names(names)))


def scrub_text(text: str, *, names: Iterable[str] = (), replacement_style: Literal["tag", "zh"] = "tag") -> str:
    """Replace phone numbers, resident ID numbers, e-mail addresses and listed names by tags.

    Parameters
    ----------
    text : str
        Free text.
    names : iterable of str, optional
        Names to remove as exact substrings, longest first. Names should not contain ``[`` or ``]``
        (they could then overlap a tag, and idempotence would not be guaranteed).
    replacement_style : {"tag", "zh"}, optional
        ``"tag"``: ``[PHONE]``, ``[ID]``, ``[EMAIL]``, ``[NAME]``; ``"zh"``: ``[电话]``, ``[身份证号]``,
        ``[邮箱]``, ``[姓名]``. See :data:`TAGS`.

    Returns
    -------
    str
        The scrubbed text. Text without digits, ``@`` or listed names is returned unchanged, and
        ``scrub_text(scrub_text(t)) == scrub_text(t)``.

    Examples
    --------
    >>> scrub_text("请联系张伟 138-1234-5678 或 zw@example.cn", names=["张伟"])
    '请联系[NAME] [PHONE] 或 [EMAIL]'
    >>> scrub_text("2019年7月19日，直接经济损失8170万元")
    '2019年7月19日，直接经济损失8170万元'
    >>> scrub_text("身份证11010519491231002X", replacement_style="zh")
    '身份证[身份证号]'
    """
    if replacement_style not in TAGS:
        raise ValueError(f"replacement_style: expected one of {sorted(TAGS)}, got {replacement_style!r}")
    findings = find_personal_data(text, names=names)
    if not findings:
        return text
    tags = TAGS[replacement_style]
    parts = []
    last = 0
    for kind, (start, end) in findings:
        parts.append(text[last:start])
        parts.append(tags[kind])
        last = end
    parts.append(text[last:])
    return "".join(parts)


def retag(text: str, *, replacement_style: Literal["tag", "zh"]) -> str:
    """Scrubbed text with its tags in the other style, e.g. to quote an answer in a Chinese report.

    Examples
    --------
    >>> retag("请联系[NAME]，电话[PHONE]", replacement_style="zh")
    '请联系[姓名]，电话[电话]'
    >>> retag("[邮箱]", replacement_style="tag")
    '[EMAIL]'
    """
    if replacement_style not in TAGS:
        raise ValueError(f"replacement_style: expected one of {sorted(TAGS)}, got {replacement_style!r}")
    for kind, tag in TAGS[replacement_style].items():
        for style in TAGS.values():
            text = text.replace(style[kind], tag)
    return text


def scrub_frame(
    df: pd.DataFrame,
    *,
    columns: Iterable[str],
    names: Iterable[str] = (),
    replacement_style: Literal["tag", "zh"] = "tag",
) -> pd.DataFrame:
    """Return a copy of ``df`` with the free-text ``columns`` scrubbed by :func:`scrub_text`.

    Parameters
    ----------
    df : pandas.DataFrame
        The survey; it is not modified.
    columns : iterable of str
        Columns holding free text. Missing values stay missing; numbers in these columns (a phone
        number typed into a numeric cell) are scrubbed through their string form and become strings
        only when something was found.
    names : iterable of str, optional
        Names to remove, see :func:`scrub_text`.
    replacement_style : {"tag", "zh"}, optional
        See :func:`scrub_text`.

    Returns
    -------
    pandas.DataFrame
        A scrubbed copy, same index, columns and ``attrs``.

    Examples
    --------
    >>> df = pd.DataFrame({"id": [1, 2], "comment": ["打13812345678", None]})
    >>> out = scrub_frame(df, columns=["comment"])
    >>> out.loc[0, "comment"], bool(pd.isna(out.loc[1, "comment"]))
    ('打[PHONE]', True)
    """
    if isinstance(columns, str):
        columns = [columns]
    columns = list(columns)
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise KeyError(f"columns: {missing} not in the data frame (it has {list(df.columns)})")
    clean = _clean_names(names)
    out = df.copy(deep=True)

    def one(value: object) -> object:
        if isinstance(value, str):
            return scrub_text(value, names=clean, replacement_style=replacement_style)
        if isinstance(value, int | float) and not isinstance(value, bool) and not pd.isna(value):
            as_text = str(int(value)) if float(value).is_integer() else str(value)
            scrubbed = scrub_text(as_text, names=clean, replacement_style=replacement_style)
            return scrubbed if scrubbed != as_text else value
        return value

    for col in columns:
        before = df[col].tolist()
        after = [one(v) for v in before]
        if any(a is not b for a, b in zip(after, before)):
            dtype = df[col].dtype if _is_text(df[col]) else object
            out[col] = pd.Series(after, index=df.index, dtype=dtype)
    return out


def _is_text(s: pd.Series) -> bool:
    return s.dtype == object or pd.api.types.is_string_dtype(s.dtype)


# -- names to scrub: a git-ignored file per case ---------------------------------------------------------------
NAMES_DIR = "data/private"
"""Folder (relative to the project root, git-ignored) of the files listing each case's names to scrub."""


def names_file(root: str | Path, case_id: str) -> Path:
    """``<root>/data/private/<case>.names.txt``: the names a case's free-text answers may mention.

    The names of people are personal data themselves, so they are kept out of the committed case file, in a
    git-ignored file of one name per line (blank lines and lines starting with ``#`` are ignored).
    """
    return Path(root) / NAMES_DIR / f"{case_id}.names.txt"


def read_names_file(path: str | Path) -> tuple[str, ...]:
    """The names listed in a names file (see :func:`names_file`); none when the file does not exist.

    Raises
    ------
    EmstudyError
        When the file is not UTF-8 text, or a name holds ``[`` or ``]`` (it could overlap a replacement tag).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = Path(d) / "x.names.txt"
    ...     _ = p.write_text("# officials\\n王小明\\n\\n  李四 \\n", encoding="utf-8")
    ...     read_names_file(p)
    ('王小明', '李四')
    """
    path = Path(path)
    if not path.is_file():
        return ()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise EmstudyError(f"{path}: not UTF-8 text (byte {exc.start}); save it as UTF-8, one name per line") from None
    names: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        name = line.strip()
        if not name or name.startswith("#"):
            continue
        if "[" in name or "]" in name:
            raise EmstudyError(f"{path}: line {number}: a name may not contain '[' or ']'; remove the brackets")
        names.append(name)
    return tuple(dict.fromkeys(names))


def files_holding_names(paths: Iterable[str | Path], names: Iterable[str], *, chunk_size: int = 1 << 23) -> list[Path]:
    """The files whose bytes contain one of ``names`` (encoded as UTF-8 or GB18030), in the order given.

    Used to warn when a file under version control holds a name listed for scrubbing. The files are read in
    chunks of ``chunk_size`` bytes (overlapping by the longest name), so memory does not grow with their
    size. Compressed formats (XLSX, zipped SPSS) are not looked into.
    """
    needles = sorted(
        {n.encode(enc) for n in _clean_names(names) for enc in ("utf-8", "gb18030")}, key=len, reverse=True
    )
    if not needles:
        return []
    overlap = len(needles[0]) - 1
    found: list[Path] = []
    for path in map(Path, paths):
        if not path.is_file():
            continue
        with path.open("rb") as handle:
            tail = b""
            while chunk := handle.read(chunk_size):
                block = tail + chunk
                if any(n in block for n in needles):
                    found.append(path)
                    break
                tail = block[-overlap:] if overlap else b""
    return found
