"""Read the codings of a REFI-QDA project (``.qdpx``: what NVivo, ATLAS.ti, MAXQDA and QualCoder export).

A ``.qdpx`` file is a zip archive holding ``project.qde``, an XML document in the namespace
``urn:QDA-XML:project:1.0`` (the REFI-QDA Project.xsd of 18 March 2019), and the project's source files under
``sources/``. This module reads, with the standard library only (:mod:`zipfile`, :mod:`xml.etree`), what a
table of codings needs and checks that structure, naming the element at fault:

- ``Users/User`` (``guid``, ``name``): the coders;
- ``CodeBook/Codes/Code`` (``guid``, ``name``; nested codes too): the codes;
- ``Cases/Case`` (``name``) with ``SourceRef/@targetGUID``: which case each source belongs to;
- ``Sources/TextSource`` (``guid``, ``name``) with its text in ``PlainTextContent`` or in the file that
  ``plainTextPath="internal://<file>"`` names under ``sources/``;
- ``TextSource/PlainTextSelection`` (``guid``, ``startPosition``, ``endPosition``: character offsets in
  the text, 0-based, end exclusive) with its ``Coding`` elements (``guid``, ``creatingUser`` a ``User``
  guid, else the selection's ``creatingUser``), each with one ``CodeRef/@targetGUID`` naming a ``Code``.

A selection without codings is not a coding and is passed over; codings of a whole source, or of picture,
PDF, audio or video sources, are refused (they have no text segment to compare between coders).
:func:`emstudy.survey.interviews.read_codings` turns the rows into the checked tidy table.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pandas as pd

from emstudy.errors import SurveyFileError

__all__ = ["QDA_NAMESPACE", "PROJECT_MEMBER", "read_qdpx"]

QDA_NAMESPACE = "urn:QDA-XML:project:1.0"
"""The XML namespace of a REFI-QDA project document."""

PROJECT_MEMBER = "project.qde"
"""The project document's name inside a ``.qdpx`` archive."""

_N = "{" + QDA_NAMESPACE + "}"
_OTHER_SOURCES = ("PictureSource", "PDFSource", "AudioSource", "VideoSource")
_COLUMNS = ("case", "source", "segment_id", "start", "end", "text", "text_ref", "code", "coder")


def _fail(path: Path, message: str) -> SurveyFileError:
    return SurveyFileError(" ".join(f"{path}: {message}".split()))


def _tag(element: ET.Element) -> str:
    guid = element.get("guid")
    name = element.tag.removeprefix(_N)
    return f"<{name} guid={guid!r}>" if guid else f"<{name}>"


def _attr(path: Path, element: ET.Element, name: str, *, within: str = "") -> str:
    value = element.get(name)
    if value is None or not value.strip():
        raise _fail(path, f"{PROJECT_MEMBER}: {within}{_tag(element)} has no {name!r} attribute, which it needs")
    return value.strip()


def read_qdpx(path: str | Path, *, case: str | None = None) -> pd.DataFrame:
    """The codings of a REFI-QDA project, one row per selection x coding, as text cells.

    Parameters
    ----------
    path : str or Path
        The ``.qdpx`` archive; only ever read.
    case : str, optional
        The case every source belongs to; by default each source's ``Case`` in the project says.

    Returns
    -------
    pandas.DataFrame
        Columns ``case, source, segment_id, start, end, text, text_ref, code, coder`` as text (None when
        absent): the source's ``name``, the segment ``"<start>-<end>"`` (so that the coders' selections of
        the same characters are one segment), its offsets and text, the code's ``name`` as the project
        gives it and the coder's ``name``. ``df.attrs["where"]`` names each row's ``Coding`` element,
        ``df.attrs["source"]`` the file (path, format, SHA-256).

    Raises
    ------
    SurveyFileError
        One line naming the file and the element: not a zip archive, no ``project.qde``, XML that does not
        parse (with line and column) or is not a REFI-QDA project, a missing attribute, a reference to an
        unknown user, code or source file, offsets outside the text, a source in no case or in two.

    References
    ----------
    REFI (2019). *REFI-QDA Standard: Project exchange format*, version 1.0 (Project.xsd, 18 March 2019;
    QDA-XML namespace ``urn:QDA-XML:project:1.0``). https://www.qdasoftware.org/

    Examples
    --------
    >>> df = read_qdpx("tests/fixtures/interviews/codings.qdpx")  # doctest: +SKIP
    >>> df[["source", "segment_id", "coder"]].iloc[0].tolist()  # doctest: +SKIP
    ['访谈01', '0-24', '编码员甲']
    """
    p = Path(path)
    data = _read_bytes(p)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        root = _project_root(p, zf)
        users = _users(p, root)
        codes = _codes(p, root)
        cases = _cases(p, root) if case is None else {}
        rows: list[dict[str, Any]] = []
        where: list[str] = []
        names: dict[tuple[str, str], str] = {}
        for source in _sources(p, root):
            _attr(p, source, "guid")
            name = _attr(p, source, "name")
            source_case = case if case is not None else _case_of(p, source, cases)
            if (source_case, name) in names:
                raise _fail(
                    p,
                    f"{PROJECT_MEMBER}: {_tag(source)} has the name {name!r} of {names[source_case, name]}; "
                    "give each source of a case its own name",
                )
            names[source_case, name] = _tag(source)
            text = _source_text(p, zf, source)
            for found, at in _selections(p, source, text, users=users, codes=codes):
                rows.append({"case": source_case, "source": name, **found})
                where.append(at)
    frame = pd.DataFrame(rows, columns=list(_COLUMNS), dtype=object)
    frame.attrs["where"] = where
    frame.attrs["source"] = {"path": str(p), "format": "qdpx", "sha256": hashlib.sha256(data).hexdigest()}
    return frame


def _read_bytes(p: Path) -> bytes:
    if not p.is_file():
        raise _fail(p, "file not found" if not p.exists() else "is not a regular file")
    data = p.read_bytes()
    if not data:
        raise _fail(p, "file is empty (0 bytes)")
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise _fail(p, "is not a REFI-QDA project (.qdpx is a zip archive holding project.qde); export it again")
    return data


def _project_root(p: Path, zf: zipfile.ZipFile) -> ET.Element:
    members = {info.filename.lower(): info.filename for info in zf.infolist()}
    if PROJECT_MEMBER not in members:
        raise _fail(p, f"the archive holds no {PROJECT_MEMBER} (the REFI-QDA project document); export it again")
    try:
        root = ET.fromstring(zf.read(members[PROJECT_MEMBER]))
    except ET.ParseError as exc:
        line, column = exc.position
        raise _fail(p, f"{PROJECT_MEMBER}: XML does not parse at line {line}, column {column + 1}") from None
    if root.tag != f"{_N}Project":
        raise _fail(
            p,
            f"{PROJECT_MEMBER}: the root element is <{root.tag}>, not <Project> in the namespace {QDA_NAMESPACE} "
            "(a REFI-QDA project)",
        )
    return root


def _users(p: Path, root: ET.Element) -> dict[str, str]:
    users: dict[str, str] = {}
    named: dict[str, str] = {}
    for user in root.findall(f"{_N}Users/{_N}User"):
        guid = _attr(p, user, "guid", within="<Users>: ")
        name = (user.get("name") or user.get("id") or guid).strip()
        if name in named:
            raise _fail(
                p,
                f"{PROJECT_MEMBER}: <Users>: {_tag(user)} has the name {name!r} of {named[name]}; "
                "two coders need two names",
            )
        users[guid.lower()], named[name] = name, _tag(user)
    return users


def _codes(p: Path, root: ET.Element) -> dict[str, str]:
    book = root.find(f"{_N}CodeBook/{_N}Codes")
    if book is None:
        raise _fail(p, f"{PROJECT_MEMBER}: no <CodeBook><Codes>: the codes the codings refer to are missing")
    return {
        _attr(p, code, "guid", within="<CodeBook>: ").lower(): _attr(p, code, "name", within="<CodeBook>: ")
        for code in book.iter(f"{_N}Code")
    }


def _cases(p: Path, root: ET.Element) -> dict[str, list[str]]:
    """Source guid -> the names of the cases that list it."""
    found: dict[str, list[str]] = {}
    for case in root.findall(f"{_N}Cases/{_N}Case"):
        name = _attr(p, case, "name", within="<Cases>: ")
        for ref in case.findall(f"{_N}SourceRef"):
            found.setdefault(_attr(p, ref, "targetGUID", within=f"{_tag(case)}: ").lower(), []).append(name)
    return found


def _case_of(p: Path, source: ET.Element, cases: dict[str, list[str]]) -> str:
    names = cases.get((source.get("guid") or "").lower(), [])
    if len(names) != 1:
        why = "belongs to no <Case>" if not names else f"belongs to {len(names)} cases ({', '.join(names)})"
        raise _fail(
            p,
            f"{PROJECT_MEMBER}: {_tag(source)} ({source.get('name')!r}) {why}; put each source in one case "
            "(named by the case id) or pass case=",
        )
    return names[0]


def _sources(p: Path, root: ET.Element) -> list[ET.Element]:
    sources = root.find(f"{_N}Sources")
    if sources is None:
        raise _fail(p, f"{PROJECT_MEMBER}: no <Sources>: the project holds no transcripts")
    for other in (el for kind in _OTHER_SOURCES for el in sources.findall(f"{_N}{kind}")):
        if next(other.iter(f"{_N}Coding"), None) is not None:
            raise _fail(p, f"{PROJECT_MEMBER}: {_tag(other)} is coded; only text sources (<TextSource>) are read")
    return sources.findall(f"{_N}TextSource")


def _source_text(p: Path, zf: zipfile.ZipFile, source: ET.Element) -> str:
    content = source.find(f"{_N}PlainTextContent")
    if content is not None:
        return content.text or ""
    ref = source.get("plainTextPath")
    if not ref:
        raise _fail(p, f"{PROJECT_MEMBER}: {_tag(source)} has neither <PlainTextContent> nor a plainTextPath")
    if not ref.startswith("internal://"):
        raise _fail(
            p,
            f"{PROJECT_MEMBER}: {_tag(source)}: plainTextPath {ref!r} is outside the archive; export the "
            "project with its sources included (internal://)",
        )
    wanted = f"sources/{ref.removeprefix('internal://')}".lower()
    member = next((i.filename for i in zf.infolist() if i.filename.lower() == wanted), None)
    if member is None:
        raise _fail(p, f"{PROJECT_MEMBER}: {_tag(source)}: plainTextPath {ref!r} names no file under sources/")
    try:
        return zf.read(member).decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise _fail(p, f"{member}: not UTF-8 text (byte {exc.start}); REFI-QDA plain text is UTF-8") from None


def _selections(
    p: Path, source: ET.Element, text: str, *, users: dict[str, str], codes: dict[str, str]
) -> list[tuple[dict[str, Any], str]]:
    if source.find(f"{_N}Coding") is not None:
        raise _fail(p, f"{PROJECT_MEMBER}: {_tag(source)} codes the whole source; code selections of its text")
    out = []
    for sel in source.findall(f"{_N}PlainTextSelection"):
        within = f"{_tag(source)}/{_tag(sel)}"
        start, end = (_position(p, sel, a, within) for a in ("startPosition", "endPosition"))
        if not 0 <= start < end <= len(text):
            raise _fail(
                p,
                f"{PROJECT_MEMBER}: {within}: characters {start}-{end} are not a span of the source's "
                f"{len(text)} characters",
            )
        for coding in sel.findall(f"{_N}Coding"):
            at = f"{PROJECT_MEMBER}: {within}/{_tag(coding)}"
            user = (coding.get("creatingUser") or sel.get("creatingUser") or "").strip().lower()
            if user not in users:
                shown = repr(user) if user else "none"
                raise _fail(
                    p, f"{at}: creatingUser {shown} is not a <User> of the project; every coding names its coder"
                )
            ref = coding.find(f"{_N}CodeRef")
            target = (ref.get("targetGUID") or "").strip().lower() if ref is not None else ""
            if target not in codes:
                raise _fail(p, f"{at}: <CodeRef> names no <Code> of the <CodeBook> ({target or 'no targetGUID'})")
            row = {"segment_id": f"{start}-{end}", "start": str(start), "end": str(end), "text": text[start:end]}
            out.append(({**row, "text_ref": None, "code": codes[target], "coder": users[user]}, at))
    return out


def _position(p: Path, sel: ET.Element, name: str, within: str) -> int:
    value = _attr(p, sel, name, within=f"{within.rsplit('/', 1)[0]}/")
    try:
        return int(value)
    except ValueError:
        raise _fail(p, f"{PROJECT_MEMBER}: {within}: {name} {value!r} is not a whole number") from None
