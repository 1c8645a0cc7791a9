"""Free-text answers: scrubbed with the case file's names, counted, and checked for personal data."""

from __future__ import annotations

import pandas as pd
import pytest

from emstudy.errors import EmstudyError
from emstudy.steps.context import CaseContext, read_raw
from emstudy.survey.encode import encode
from emstudy.survey.open_text import answer_counts, check_no_personal_data, open_answers


def _context(project, codebook, texts: dict[int, str], *, scrub_names: tuple[str, ...] = ()) -> CaseContext:
    raw = read_raw(project.raw_path("yima")).head(40)
    col = codebook.export_headers["suggestion"]
    raw[col] = ""
    for row, text in texts.items():
        raw.loc[row, col] = text
    case = project.case("yima", codebook).model_copy(update={"scrub_names": scrub_names})
    return CaseContext(project, case, codebook, project.raw_path("yima"), encode(raw, codebook), True)


def test_case_file_names_are_scrubbed_with_the_patterns(project, codebook):
    ctx = _context(
        project, codebook, {0: " 请找王小明，0379-65432100 ", 1: "李四说要多演练", 2: "王小明"}, scrub_names=("王小明",)
    )
    valid = set(ctx.survey.valid().items.index)
    answers = open_answers(ctx, names=("李四",))
    expected = {"1": "请找[NAME]，[PHONE]", "2": "[NAME]说要多演练", "3": "[NAME]"}
    assert len(valid & set(expected)) >= 2  # the rows checked are kept for analysis
    for rid, text in expected.items():
        if rid in valid:
            assert answers.loc[rid, "suggestion"] == text
    assert not answers["suggestion"].str.contains("王小明|李四|65432100").any()


def test_answer_counts_orders_by_frequency_then_text():
    answers = pd.DataFrame({"suggestion": ["b", "a", "c", "a", "b", "a"]}, index=list("123456"))
    counts = answer_counts(answers, n_respondents=12)
    assert counts["answer"].tolist() == ["a", "b", "c"]
    assert counts["n"].tolist() == [3, 2, 1]
    assert counts["share"].tolist() == pytest.approx([0.25, 2 / 12, 1 / 12])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_respondents": 2}, "n_respondents must be an integer >= the 3 answers, got 2"),
        ({"n_respondents": 5.0}, "n_respondents must be an integer"),
        ({"n_respondents": 5, "column": "comment"}, "column: 'comment' is not a column of answers"),
    ],
)
def test_answer_counts_names_bad_arguments(kwargs, message):
    answers = pd.DataFrame({"suggestion": ["a", "b", "a"]})
    with pytest.raises(ValueError, match=message):
        answer_counts(answers, **kwargs)


def test_personal_data_check_names_the_table_and_the_kinds():
    check_no_personal_data(pd.DataFrame({"suggestion": ["多演练[PHONE]"], "n": [1]}), name="x.csv")
    bad = pd.DataFrame({"suggestion": ["联系13812345678", "x@example.com"]}, index=["1", "2"])
    with pytest.raises(EmstudyError, match=r"x.csv: personal data \(email, phone\) left in free text"):
        check_no_personal_data(bad, name="x.csv")
