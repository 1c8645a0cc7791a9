"""Tests for emstudy.survey.privacy: scrubbing phones, resident IDs, e-mails and names from free text."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from emstudy.survey.privacy import TAGS, find_personal_data, is_valid_resident_id, scrub_frame, scrub_text

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _with_check(first17: str) -> str:
    return first17 + "10X98765432"[sum(int(c) * w for c, w in zip(first17, _WEIGHTS)) % 11]


# --- examples ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "+8613812345678",
        "+86 138 1234 5678",
        "0086-19912345678",
        "010-62345678",
        "(010)62345678",
        "（0571）88886666",
        "0571-8888888",
        "021 62345678-123",
        "0755-86013388转8001",
        "01062345678",
        "１３８１２３４５６７８",
    ],
)
def test_phone_numbers_are_scrubbed(text: str) -> None:
    assert scrub_text(f"请打{text}联系") == "请打[PHONE]联系"


@pytest.mark.parametrize(
    "text",
    [
        "2019",
        "2019年7月19日",
        "2019-07-19 17:43",
        "直接经济损失8170万元",
        "15人死亡、16人重伤",
        "约200000平方公里",
        "1990-2019年",
        "0.75-0.90",
        "问卷编号 123456789012345678",  # 18 digits, bad check digit and no valid birth date
        "1234567890",
        "3.14159265358979",
        "第12345678号文件",  # 8 digits, no area code
        "订单12345678901",  # 11 digits starting with 12: not a mobile number
    ],
)
def test_ordinary_numbers_are_kept(text: str) -> None:
    assert scrub_text(text) == text
    assert find_personal_data(text) == []


def test_resident_id_checksum() -> None:
    # The example number from GB 11643-1999.
    assert is_valid_resident_id("11010519491231002X")
    assert is_valid_resident_id("11010519491231002x")
    assert not is_valid_resident_id("110105194912310021")
    assert not is_valid_resident_id("1101051949123100")
    assert not is_valid_resident_id(11010519491231002)  # type: ignore[arg-type]


def test_ids_with_good_checksum_or_plausible_birth_date_are_scrubbed() -> None:
    good = "11010519491231002X"
    bad_check_good_date = "110105194912310021"
    good_check_bad_date = _with_check("11010519491399002")  # month 13
    assert is_valid_resident_id(good_check_bad_date)
    for value in (good, bad_check_good_date, good_check_bad_date):
        assert scrub_text(f"身份证号{value}。") == "身份证号[ID]。"
        assert find_personal_data(value) == [("id", (0, 18))]
    # Neither a valid check character nor a date: an ordinary 18-digit number.
    assert scrub_text("110105194913990021") == "110105194913990021"


def test_emails() -> None:
    text = "邮箱：zhang.wei+survey@mail.example.com.cn，或 13812345678@qq.com。"
    assert scrub_text(text) == "邮箱：[EMAIL]，或 [EMAIL]。"
    kinds = [k for k, _ in find_personal_data(text)]
    assert kinds == ["email", "email"]


def test_names_longest_first_and_spans() -> None:
    text = "张伟明说张伟不在"
    assert scrub_text(text, names=["张伟", "张伟明"]) == "[NAME]说[NAME]不在"
    assert find_personal_data(text, names=["张伟", "张伟明", " "]) == [("name", (0, 3)), ("name", (4, 6))]
    with pytest.raises(TypeError, match="single string"):
        scrub_text(text, names="张伟")


def test_zh_style_and_bad_style() -> None:
    text = "张三 13812345678 a@b.cn 11010519491231002X"
    assert scrub_text(text, names=["张三"], replacement_style="zh") == "[姓名] [电话] [邮箱] [身份证号]"
    with pytest.raises(ValueError, match="replacement_style"):
        scrub_text(text, replacement_style="mask")  # type: ignore[arg-type]


def test_existing_tags_survive_and_names_inside_tags_are_not_touched() -> None:
    text = "[PHONE] [NAME] [电话] NAME"
    assert scrub_text(text, names=["NAME", "PHONE"]) == "[PHONE] [NAME] [电话] [NAME]"


def test_scrub_frame_returns_a_copy() -> None:
    df = pd.DataFrame(
        {"id": [1, 2, 3], "comment": ["联系李雷13812345678", None, "没有意见"], "phone": [13912345678, 5, None]}
    )
    df.attrs["source"] = {"path": "x.csv"}
    original = df.copy(deep=True)
    out = scrub_frame(df, columns=["comment", "phone"], names=["李雷"])
    pd.testing.assert_frame_equal(df, original)  # input unchanged
    assert out["comment"].tolist()[0] == "联系[NAME][PHONE]"
    assert pd.isna(out.loc[1, "comment"])
    assert out.loc[2, "comment"] == "没有意见"
    assert out.loc[0, "phone"] == "[PHONE]"
    assert out.loc[1, "phone"] == 5
    assert out["id"].tolist() == [1, 2, 3]
    assert out.attrs["source"] == {"path": "x.csv"}
    with pytest.raises(KeyError, match="nope"):
        scrub_frame(df, columns=["nope"])


# --- properties ----------------------------------------------------------------------------------------

# Surrounding text: anything printable except digits (any script) and '@'.
_no_digits = st.characters(blacklist_categories=("Nd", "Cs"), blacklist_characters="@")
surrounding = st.text(alphabet=_no_digits, max_size=30)
digit = st.sampled_from("0123456789")


@st.composite
def mobiles(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(["", "+86", "+86 ", "0086", "+86-", "0086 "]))
    sep = draw(st.sampled_from(["", " ", "-"]))
    d = draw(st.text(alphabet=digit, min_size=9, max_size=9))
    second = draw(st.sampled_from("3456789"))
    return f"{prefix}1{second}{d[0]}{sep}{d[1:5]}{sep}{d[5:]}"


@st.composite
def landlines(draw: st.DrawFn) -> str:
    area = draw(st.sampled_from(["010", "021", "0571", "0379", "0398", "0479", "0577"]))
    local = draw(st.sampled_from("23456789")) + draw(st.text(alphabet=digit, min_size=6, max_size=7))
    form = draw(st.sampled_from(["{a}-{l}", "({a}){l}", "（{a}）{l}", "{a}{l}", "{a} {l}"]))
    ext = draw(st.sampled_from(["", "-12", "转801"]))
    return form.format(a=area, l=local) + ext


@st.composite
def resident_ids(draw: st.DrawFn) -> str:
    region = draw(st.sampled_from(["110105", "330328", "411281", "152500", "211300"]))
    date = draw(st.dates(min_value=pd.Timestamp("1930-01-01").date(), max_value=pd.Timestamp("2010-12-31").date()))
    seq = draw(st.text(alphabet=digit, min_size=3, max_size=3))
    return _with_check(f"{region}{date:%Y%m%d}{seq}")


@st.composite
def emails(draw: st.DrawFn) -> str:
    local = draw(st.from_regex(r"[a-z0-9][a-z0-9._+\-]{0,10}[a-z0-9]", fullmatch=True))
    domain = draw(st.from_regex(r"[a-z0-9]{1,8}(\.[a-z0-9]{1,8}){0,2}", fullmatch=True))
    tld = draw(st.sampled_from(["com", "cn", "org", "edu.cn", "gov.cn"]))
    return f"{local}@{domain}.{tld}"


planted = st.one_of(mobiles(), landlines(), resident_ids(), emails())

_fast = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_fast
@given(before=surrounding, pii=planted, after=surrounding)
def test_planted_personal_data_is_removed(before: str, pii: str, after: str) -> None:
    out = scrub_text(before + pii + after)
    assert pii not in out
    assert find_personal_data(out) == []
    # The digits of a phone or ID never survive.
    assert not any(c.isdigit() for c in out if c in "0123456789")


@_fast
@given(
    parts=st.lists(
        st.one_of(planted, surrounding, st.text(alphabet="0123456789 -+()（）@.abxX转年月日[]PHONEID", max_size=20)),
        max_size=6,
    ),
    names=st.lists(st.text(alphabet="张王李伟明abc", min_size=1, max_size=3), max_size=3),
    style=st.sampled_from(sorted(TAGS)),
)
def test_scrubbing_is_idempotent(parts: list[str], names: list[str], style: str) -> None:
    text = "".join(parts)
    once = scrub_text(text, names=names, replacement_style=style)  # type: ignore[arg-type]
    assert scrub_text(once, names=names, replacement_style=style) == once  # type: ignore[arg-type]
    assert find_personal_data(once, names=names) == []


@_fast
@given(text=surrounding, names=st.lists(st.text(alphabet=_no_digits, min_size=1, max_size=4), max_size=3))
def test_text_without_digits_at_or_names_is_unchanged(text: str, names: list[str]) -> None:
    assume(not any(n.strip() and n.strip() in text for n in names))
    assert scrub_text(text, names=names) == text
    assert scrub_text(text, names=names, replacement_style="zh") == text


@_fast
@given(before=surrounding, name=st.text(alphabet="张王李伟明芳", min_size=2, max_size=3), after=surrounding)
def test_planted_name_is_removed(before: str, name: str, after: str) -> None:
    out = scrub_text(before + name + after, names=[name])
    assert name not in out
