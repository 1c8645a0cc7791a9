"""Encoding: labels and codes in, item scores out; every bad value reported with row and column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from emstudy.errors import EmstudyError
from emstudy.steps.context import read_raw
from emstudy.survey.encode import EncodingError, construct_scores, decode, encode, reverse_key


def _raw_from_answers(answers: pd.DataFrame, codebook, lang: str) -> pd.DataFrame:
    if lang == "code":
        raw = answers.map(lambda v: "" if np.isnan(v) else str(int(v)))
    else:
        raw = decode(answers, codebook, lang=lang)
    raw.insert(0, codebook.id_column.name, [str(i) for i in range(1, len(raw) + 1)])
    return raw.rename(columns=codebook.export_headers).reset_index(drop=True)


@settings(max_examples=40, deadline=None)
@given(data=st.data(), lang=st.sampled_from(["zh", "en", "code"]))
def test_encoding_round_trips(codebook, data, lang):
    n = data.draw(st.integers(1, 12))
    values = data.draw(
        arrays(np.float64, (n, len(codebook.item_ids)), elements=st.sampled_from([1.0, 2.0, 3.0, 4.0, 5.0, np.nan]))
    )
    answers = pd.DataFrame(values, columns=codebook.item_ids)
    enc = encode(_raw_from_answers(answers, codebook, lang), codebook)
    np.testing.assert_array_equal(enc.answers.to_numpy(), values)
    # reverse keying is applied once, and is its own inverse
    np.testing.assert_array_equal(reverse_key(enc.items, codebook).to_numpy(), values)
    for item in codebook.reverse_items:
        col = codebook.item_ids.index(item)
        np.testing.assert_array_equal(enc.items[item].to_numpy(), 6 - values[:, col])


def test_item_columns_found_by_id_or_header_text_never_by_number_alone(codebook):
    answers = pd.DataFrame([[3.0] * len(codebook.item_ids)], columns=codebook.item_ids)
    by_id = encode(decode(answers, codebook), codebook)
    renamed = decode(answers, codebook).rename(
        columns={i: f"Q{codebook.question_numbers[i]} {codebook.items[i].zh}" for i in codebook.item_ids}
    )
    by_text = encode(renamed, codebook)
    pd.testing.assert_frame_equal(by_id.answers.reset_index(drop=True), by_text.answers.reset_index(drop=True))
    number_only = decode(answers, codebook).rename(
        columns={i: f"Q{codebook.question_numbers[i]}. text" for i in codebook.item_ids}
    )
    with pytest.raises(EmstudyError, match=r"column 'Q5\. text' is numbered like a question but its text matches"):
        encode(number_only, codebook)


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_every_out_of_range_value_is_reported_with_row_and_column(codebook, data):
    n = data.draw(st.integers(2, 10))
    answers = pd.DataFrame(np.full((n, len(codebook.item_ids)), 3.0), columns=codebook.item_ids)
    raw = _raw_from_answers(answers, codebook, "code")
    cells = data.draw(
        st.sets(st.tuples(st.integers(0, n - 1), st.sampled_from(codebook.item_ids)), min_size=1, max_size=25)
    )
    bad = data.draw(st.sampled_from(["0", "6", "7", "99", "-1", "abc", "3.5", "很同意"]))
    for row, item in cells:
        raw.loc[row, codebook.export_headers[item]] = bad
    with pytest.raises(EncodingError) as info:
        encode(raw, codebook, source="survey.csv")
    problems = info.value.problems
    assert len(problems) == len(cells)
    for row, item in cells:
        header = codebook.export_headers[item]
        assert any(
            p.startswith(f"row {row + 1} (respondent {row + 1}), column {header!r}: value {bad!r}") for p in problems
        )
    assert str(info.value).startswith(f"survey.csv: {len(cells)} value(s) cannot be encoded")


def test_declared_missing_codes_become_missing(codebook):
    answers = pd.DataFrame([[4.0] * len(codebook.item_ids)] * 5, columns=codebook.item_ids)
    raw = _raw_from_answers(answers, codebook, "zh")
    header = codebook.export_headers["PLN1"]
    raw.loc[:, header] = ["不清楚", "", "-9", "(跳过)", "Don't know"]
    enc = encode(raw, codebook)
    assert enc.answers["PLN1"].isna().all()
    assert (enc.answers["PLN2"] == 4).all()


def test_missing_item_column_is_named(codebook):
    answers = pd.DataFrame([[4.0] * len(codebook.item_ids)], columns=codebook.item_ids)
    raw = decode(answers, codebook).drop(columns=["RES3"])
    with pytest.raises(Exception, match=r"missing item column\(s\) RES3"):
        encode(raw, codebook, source="x.csv")


def test_unknown_demographic_label_is_reported(codebook):
    answers = pd.DataFrame([[4.0] * len(codebook.item_ids)] * 2, columns=codebook.item_ids)
    raw = _raw_from_answers(answers, codebook, "zh")
    raw[codebook.export_headers["role"]] = ["居民", "学生"]
    with pytest.raises(EncodingError, match=r"row 2 \(respondent 2\), column '1.您的身份': value '学生' is not one of"):
        encode(raw, codebook)


def test_flags_find_exactly_the_careless_respondents_the_generator_planted(project, codebook):
    import json

    synthetic = [c for c in project.case_ids() if project.is_synthetic(c)]  # a user's case has no truth file
    assert len(synthetic) >= 5
    for case_id in synthetic:
        enc = encode(read_raw(project.raw_path(case_id)), codebook)
        truth = json.loads((project.raw_dir / f"{case_id}.truth.json").read_text(encoding="utf-8"))["drawn"]
        flagged = lambda name, enc=enc: sorted(int(i) for i in enc.flags.index[enc.flags[name]])
        assert flagged("straightlining") == sorted(truth["straightlining_ids"]), case_id
        assert flagged("speeding") == sorted(truth["speeding_ids"]), case_id
        assert flagged("duplicate") == sorted(truth["duplicate_ids"]), case_id


def test_construct_score_needs_three_of_four_items(codebook):
    items = pd.DataFrame([[4.0] * len(codebook.item_ids)] * 2, columns=codebook.item_ids)
    items.loc[0, ["PLN1"]] = np.nan
    items.loc[1, ["PLN1", "PLN2"]] = np.nan
    scores = construct_scores(items, codebook)
    assert scores.loc[0, "plan"] == 4.0
    assert np.isnan(scores.loc[1, "plan"])


def test_compact_duplicate_key_agrees_with_pandas():
    # quality_flags finds duplicate respondents from a compact per-row key; it must mark exactly the rows
    # DataFrame.duplicated marks (missing answers equal to missing, as in pandas), also in the fallback
    # taken when an answer is not a small whole number
    import numpy as np
    import pandas as pd

    from emstudy.survey.encode import _duplicated_rows

    rng = np.random.default_rng(7)
    for trial in range(200):
        n, k = int(rng.integers(1, 40)), int(rng.integers(1, 5))
        values = rng.integers(1, 3, size=(n, k)).astype(float)
        values[rng.random((n, k)) < 0.2] = np.nan
        if trial % 4 == 0:
            values[0, 0] = 2.5  # not a whole number: the fallback
        background = pd.DataFrame({"role": rng.choice(["gov", "res", None], size=n)})
        expected = pd.concat([pd.DataFrame(values), background], axis=1).duplicated(keep="first").to_numpy()
        assert np.array_equal(np.asarray(_duplicated_rows(values, background), dtype=bool), expected), trial
