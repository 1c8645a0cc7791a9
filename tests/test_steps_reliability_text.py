"""The reliability step's verdicts and sentences (emstudy.steps.reliability_text): the summary a report shows
beside the reliability table, in English and Chinese."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from emstudy.steps import reliability as reliability_step
from emstudy.steps.context import load_encoded
from emstudy.steps.reliability_text import RELIABILITY_THRESHOLDS, assess_reliability, reliability_summary

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wencheng():
    enc = load_encoded(ROOT, "wencheng")
    return enc, reliability_step.run(enc)


def test_the_summary_counts_the_constructs_and_names_the_lowest_and_the_weakest_item(wencheng):
    enc, rel = wencheng
    t, cb = rel.table, enc.codebook
    assert rel.sentences == {lang: reliability_summary(t, cb, lang=lang) for lang in ("en", "zh")}
    en, zh = rel.sentences["en"], rel.sentences["zh"]
    assert len(en) == len(zh) == 2  # instead of one sentence per construct
    n_good = int((t["alpha"] >= RELIABILITY_THRESHOLDS["alpha_good"]).sum())
    assert (t["alpha"] >= RELIABILITY_THRESHOLDS["alpha_acceptable"]).all()  # the committed case: all reach 0.70
    assert en[0].startswith(f"Alpha reaches 0.70 for all {len(t)} constructs and 0.80 for {n_good} of them (")
    assert zh[0].startswith(f"全部{len(t)}个构念的alpha均达到0.70，其中{n_good}个达到0.80（")
    low = t["alpha"].idxmin()
    row = t.loc[low]
    cited = f"alpha = {row['alpha']:.2f} [{row['alpha_ci_lower']:.2f}, {row['alpha_ci_upper']:.2f}]"
    assert en[0].endswith(f"; the lowest is {cb.label(low, 'en')} ({cited}).")
    assert zh[0].endswith(f"；最低的是{cb.label(low, 'zh')}（{cited}）。")
    ordinal = f"ordinal alpha {t['ordinal_alpha'].min():.2f}-{t['ordinal_alpha'].max():.2f}"
    assert ordinal in en[0] and f"有序{ordinal.removeprefix('ordinal ')}" in zh[0]
    # ordinal omega beside ordinal alpha (issue 15, new user's finding 15c), after it
    o_min, o_max = t["ordinal_omega_total"].min(), t["ordinal_omega_total"].max()
    assert f"{ordinal}, ordinal omega {o_min:.2f}-{o_max:.2f})" in en[0]
    assert f"有序omega {o_min:.2f}-{o_max:.2f}）" in zh[0]
    weak = t["weakest_r_drop"].idxmin()
    item, r = t.loc[weak, "weakest_item"], t.loc[weak, "weakest_r_drop"]
    assert en[1] == (
        f"The weakest item overall is {item} of {cb.label(weak, 'en')} (r.drop = {r:.2f}); "
        "every item's r.drop is at least 0.30."
    )
    assert zh[1].startswith(f"全部题项中最弱的是{cb.label(weak, 'zh')}的{item}（r.drop = {r:.2f}）")
    # the Chinese summary names constructs in Chinese only: no English label, no construct id
    for c in t.index:
        assert cb.label(c, "en") not in " ".join(zh) and not re.search(rf"\b{c}\b", " ".join(zh))


def _table(alpha, omega, r_drop, index=("information", "participation", "plan", "resources")):
    n = len(alpha)
    return pd.DataFrame(
        {
            "alpha": alpha,
            "alpha_ci_lower": [a - 0.05 for a in alpha],
            "alpha_ci_upper": [a + 0.04 for a in alpha],
            "omega_total": omega,
            "weakest_item": ["INF1", "SOC2", "PLN3", "RES4"][:n],
            "weakest_r_drop": r_drop,
        },
        index=list(index)[:n],
    )


def test_constructs_below_the_thresholds_are_named_with_their_numbers_in_both_languages(wencheng):
    cb = wencheng[0].codebook
    t = _table([0.85, 0.65, 0.72, 0.81], [0.86, 0.66, 0.68, 0.82], [0.6, 0.35, 0.2, 0.25])
    en, zh = (reliability_summary(t, cb, lang=lang) for lang in ("en", "zh"))
    assert en[0] == (
        "Alpha reaches 0.70 for 3 of 4 constructs and 0.80 for 2 (omega 0.66-0.86); Social participation "
        "(alpha = 0.65, omega = 0.66) and Plans (alpha = 0.72, omega = 0.68) fall below the threshold (alpha and "
        "omega >= 0.70)."
    )
    assert list(assess_reliability(t)["verdict"])[1:3] == ["below threshold", "below threshold"]
    assert en[1] == (
        "The weakest item overall is PLN3 of Plans (r.drop = 0.20); below r.drop 0.30: PLN3 of Plans (0.20) and "
        "RES4 of Resources and supplies (0.25)."
    )
    assert zh[0].startswith("4个构念中有3个的alpha达到0.70，其中2个达到0.80（omega 0.66-0.86）；社会参与（alpha = 0.65")
    assert zh[0].endswith("未达到标准（alpha与omega应 ≥ 0.70）。")
    assert zh[1].endswith("；r.drop低于0.30的题项：预案的PLN3（0.20）和物资保障的RES4（0.25）。")
    one = reliability_summary(_table([0.85, 0.6], [0.86, 0.61], [0.6, 0.4]), cb)[0]
    assert "Social participation (alpha = 0.60, omega = 0.61) falls below the threshold" in one
    assert "the lowest is" not in one  # the construct below the threshold is the lowest and is named already


def test_without_a_codebook_the_ids_are_used_and_a_bad_language_is_one_line():
    t = _table([0.81, 0.75], [0.82, 0.77], [0.5, 0.45])
    assert reliability_summary(t)[0].endswith("; the lowest is participation (alpha = 0.75 [0.70, 0.79]).")
    with pytest.raises(ValueError, match="lang must be 'en' or 'zh'"):
        reliability_summary(t, lang="fr")
