"""Tests for emstudy.survey.qdpx: the codings of a REFI-QDA project, and one line naming the element at fault.

Each bad project is the committed fixture (tests/fixtures/interviews/codings.qdpx, written by
make_fixtures.py) with one thing broken.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from emstudy.errors import SurveyFileError
from emstudy.survey.interviews import CODING_COLUMNS, load_interview_codes, read_codings
from emstudy.survey.qdpx import QDA_NAMESPACE, read_qdpx

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "interviews" / "codings.qdpx"


@pytest.fixture(scope="module")
def codes(codebook):
    return load_interview_codes(ROOT / "data" / "interview_codes.yml", codebook)


def _members() -> dict[str, bytes]:
    with zipfile.ZipFile(FIXTURE) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _write(path: Path, members: dict[str, bytes]) -> Path:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    path.write_bytes(out.getvalue())
    return path


def _edited(path: Path, edit: Callable[[str], str]) -> Path:
    members = _members()
    members["project.qde"] = edit(members["project.qde"].decode("utf-8")).encode("utf-8")
    return _write(path, members)


def _second(text: str, old: str, new: str) -> str:
    """Replace the last occurrence (the second coder's selection)."""
    k = text.rindex(old)
    return text[:k] + new + text[k + len(old) :]


def test_the_raw_codings_keep_the_project_names_and_each_coding_element() -> None:
    raw = read_qdpx(FIXTURE)
    assert len(raw) == len(raw.attrs["where"]) == 13
    assert tuple(raw.columns) == CODING_COLUMNS
    first = raw.iloc[0]
    assert (first["case"], first["source"], first["segment_id"], first["coder"]) == (
        "wencheng",
        "访谈01",
        "18-48",
        "coder_a",
    )
    assert first["code"] == "预案不完善、修订不及时或停留在纸面"  # the name the project gives, not yet the id
    assert first["text"] == "预案是有的，但是好几年没有修订了，很多内容跟实际情况对不上。"
    assert re.fullmatch(
        r"project\.qde: <TextSource guid='[0-9A-F-]+'>/<PlainTextSelection guid='[0-9A-F-]+'>/"
        r"<Coding guid='[0-9A-F-]+'>",
        raw.attrs["where"][0],
    )
    # the Xilinguole codings name no creatingUser: the selection's names the coder
    assert set(raw.loc[raw["case"] == "xilinguole", "coder"]) == {"coder_a", "coder_b"}
    assert QDA_NAMESPACE in (_members()["project.qde"].decode("utf-8"))


def test_case_argument_puts_every_source_in_one_case(tmp_path) -> None:
    path = _edited(
        tmp_path / "p.qdpx",
        lambda t: t.replace('name="访谈01">\n      <PlainTextContent>', 'name="访谈03">\n      <PlainTextContent>'),
    )
    raw = read_qdpx(path, case="yima")
    assert set(raw["case"]) == {"yima"} and set(raw["source"]) == {"访谈01", "访谈02", "访谈03"}
    with pytest.raises(SurveyFileError, match=r"has the name '访谈01' of <TextSource guid="):
        read_qdpx(FIXTURE, case="yima")  # two sources of that name would become one


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t[: len(t) // 2], r"project\.qde: XML does not parse at line \d+, column \d+"),
        (
            lambda t: t.replace(QDA_NAMESPACE, "urn:other", 1),
            r"the root element is <\{urn:other\}Project>, not <Project>",
        ),
        (
            lambda t: t.replace('<User guid="D0149614', '<User guid="E0149614', 1),
            r"<Coding guid='[0-9A-F-]+'>: creatingUser 'd0149614-[0-9a-f-]+' is not a <User> of the project",
        ),
        (
            lambda t: t.replace('<Code guid="E7AB1C9A', '<Code guid="F7AB1C9A', 1),
            r"<Coding guid='[0-9A-F-]+'>: <CodeRef> names no <Code> of the <CodeBook> \(e7ab1c9a-",
        ),
        (
            lambda t: t.replace('endPosition="48"', 'endPosition="999"', 1),
            r"<PlainTextSelection guid='[0-9A-F-]+'>: characters 18-999 are not a span of the source's 73 characters",
        ),
        (
            lambda t: t.replace('startPosition="18" ', "", 1),
            r"<TextSource guid='[0-9A-F-]+'>/<PlainTextSelection guid='[0-9A-F-]+'> has no 'startPosition' attribute",
        ),
        (
            lambda t: t.replace('startPosition="18"', 'startPosition="x"', 1),
            r"<PlainTextSelection guid='[0-9A-F-]+'>: startPosition 'x' is not a whole number",
        ),
        (
            lambda t: re.sub(r"<Cases>.*</Cases>", "", t, flags=re.S),
            r"<TextSource guid='[0-9A-F-]+'> \('访谈01'\) belongs to no <Case>; .* or pass case=",
        ),
        (
            lambda t: t.replace(
                'name="xilinguole">', 'name="xilinguole"><SourceRef targetGUID="537C5843-5135-57D8-9EFC-A25B8E8B9707"/>'
            ),
            r"\('访谈01'\) belongs to 2 cases \(wencheng, xilinguole\)",
        ),
        (
            lambda t: t.replace('name="coder_b"', 'name="coder_a"'),
            r"<Users>: <User guid='583839A2-[0-9A-F-]+'> has the name 'coder_a' of <User guid='D0149614",
        ),
        (
            lambda t: t.replace(
                "</Sources>",
                '<PictureSource guid="00000000-0000-0000-0000-000000000001"><Coding '
                'guid="00000000-0000-0000-0000-000000000002"><CodeRef targetGUID="E7AB1C9A-C213-54F4-'
                'B972-50D155D65238"/></Coding></PictureSource></Sources>',
            ),
            r"<PictureSource guid='0{8}-0000-0000-0000-0{11}1'> is coded; only text sources \(<TextSource>\) are read",
        ),
        (
            lambda t: t.replace(
                "<PlainTextContent>",
                '<Coding guid="00000000-0000-0000-0000-000000000003"><CodeRef '
                'targetGUID="E7AB1C9A-C213-54F4-B972-50D155D65238"/></Coding><PlainTextContent>',
            ),
            r"<TextSource guid='[0-9A-F-]+'> codes the whole source; code selections of its text",
        ),
        (lambda t: re.sub(r"<CodeBook>.*</CodeBook>", "", t, flags=re.S), r"no <CodeBook><Codes>"),
    ],
    ids=[
        "truncated XML",
        "not a REFI-QDA project",
        "unknown user",
        "unknown code guid",
        "offsets outside",
        "no startPosition",
        "position not a number",
        "no case",
        "two cases",
        "two coders one name",
        "coded picture",
        "whole source coded",
        "no code book",
    ],
)
def test_a_bad_project_is_one_line_naming_the_element(tmp_path, edit, message) -> None:
    path = _edited(tmp_path / "p.qdpx", edit)
    with pytest.raises(SurveyFileError, match="^" + re.escape(f"{path}: ") + ".*" + message) as info:
        read_qdpx(path)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda t: t.replace('name="grassroots_capacity_problem"', 'name="其他"'),
            r"project\.qde: <TextSource guid='[0-9A-F-]+'>/<PlainTextSelection guid='[0-9A-F-]+'>/<Coding guid="
            r"'[0-9A-F-]+'>: unknown code '其他'",
        ),
        (
            lambda t: _second(t, 'startPosition="18" endPosition="48"', 'startPosition="18" endPosition="47"'),
            r"project\.qde: <TextSource .*>/<Coding guid='[0-9A-F-]+'>: segment '18-48' of source '访谈01' \(case 'wencheng'\) "
            r"is coded by coder_a only; each of coder_a, coder_b must code it",
        ),
        (
            lambda t: t.replace('startPosition="48" endPosition="72"', 'startPosition="47" endPosition="72"'),
            r"project\.qde: <TextSource .*>: segment '47-72' \(characters 47-72\) overlaps segment '18-48' \(characters 18-48, project\.qde: "
            r"<TextSource .* of source '访谈01', both coded by 'coder_a'",
        ),
    ],
    ids=["unknown code", "one coder only", "overlap"],
)
def test_bad_codings_in_a_project_name_the_coding_element(codes, tmp_path, edit, message) -> None:
    path = _edited(tmp_path / "p.qdpx", edit)
    with pytest.raises(SurveyFileError, match="^" + re.escape(f"{path}: ") + message) as info:
        read_codings(path, codes=codes)
    assert "\n" not in str(info.value)


def test_archive_problems(tmp_path) -> None:
    members = _members()
    text = tmp_path / "t.qdpx"
    text.write_text("not a zip", encoding="utf-8")
    with pytest.raises(SurveyFileError, match=re.escape(f"{text}: is not a REFI-QDA project (.qdpx is a zip")):
        read_qdpx(text)
    no_project = _write(tmp_path / "n.qdpx", {"sources/a.txt": b"x"})
    with pytest.raises(SurveyFileError, match=re.escape(f"{no_project}: the archive holds no project.qde")):
        read_qdpx(no_project)
    no_source = _write(tmp_path / "s.qdpx", {k: v for k, v in members.items() if k != "sources/interview02.txt"})
    with pytest.raises(
        SurveyFileError, match=r"plainTextPath 'internal://interview02\.txt' names no file under sources/"
    ):
        read_qdpx(no_source)
    bad_text = _write(tmp_path / "b.qdpx", members | {"sources/interview02.txt": "访谈".encode("gb18030")})
    with pytest.raises(SurveyFileError, match=re.escape(f"{bad_text}: sources/interview02.txt: not UTF-8 text")):
        read_qdpx(bad_text)
    empty = tmp_path / "e.qdpx"
    empty.write_bytes(b"")
    with pytest.raises(SurveyFileError, match=re.escape(f"{empty}: file is empty")):
        read_qdpx(empty)
    with pytest.raises(SurveyFileError, match="file not found"):
        read_qdpx(tmp_path / "missing.qdpx")


def test_table_options_are_refused_for_a_project(codes) -> None:
    with pytest.raises(ValueError, match=r"^sheet, encoding: only a CSV or XLSX table has them"):
        read_codings(FIXTURE, codes=codes, encoding="gb18030")
