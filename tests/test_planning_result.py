"""emstudy.planning.result.PowerTable: power, Monte Carlo error, Wilson interval, smallest n, bytes.

The Wilson intervals are R's (tests/reference/planning_result.R writes planning_result.json):
``prop.test(k, R, conf.level = c, correct = FALSE)$conf.int``, quoted beside each case there.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import pandas as pd
import pytest

from emstudy.planning.result import COLUMNS, PowerTable

REFERENCE = json.loads((Path(__file__).parent / "reference" / "planning_result.json").read_text())


def _table(powers: dict[str, list[int]], *, ns=(50, 100, 200, 400), reps=200, **kwargs) -> PowerTable:
    targets = tuple(powers)
    k = len(ns)
    return PowerTable(
        ns=ns,
        targets=targets,
        replications=reps,
        successes=tuple(tuple(powers[t][i] for t in targets) for i in range(k)),
        converged=kwargs.pop("converged", (reps,) * k),
        improper=kwargs.pop("improper", (0,) * k),
        failed=kwargs.pop("failed", (0,) * k),
        **kwargs,
    )


@pytest.mark.parametrize("case", REFERENCE["wilson"], ids=lambda c: c["call"])
def test_wilson_interval_is_rs_prop_test(case: dict) -> None:
    reps, k = case["replications"], case["successes"]
    table = _table({"t": [k]}, ns=(100,), reps=reps, conf_level=case["conf_level"])
    row = table.to_frame().iloc[0]
    # R: case["call"], e.g. prop.test(170, 200, conf.level = 0.95, correct = FALSE)$conf.int
    assert row.ci_lower == pytest.approx(case["ci_lower"], abs=1e-12)
    assert row.ci_upper == pytest.approx(case["ci_upper"], abs=1e-12)
    assert row.power == k / reps
    assert row.mc_se == pytest.approx(math.sqrt(k / reps * (1 - k / reps) / reps), rel=1e-15)


def test_the_tidy_frame_has_one_row_per_n_and_target() -> None:
    table = _table(
        {"a": [20, 90, 150, 190], "b": [5, 30, 100, 170]},
        converged=(198, 199, 200, 200),
        improper=(4, 2, 0, 0),
        failed=(1, 0, 0, 0),
    )
    frame = table.to_frame()
    assert list(frame.columns) == list(COLUMNS)
    assert frame[["n", "target"]].values.tolist() == [[n, t] for n in (50, 100, 200, 400) for t in ("a", "b")]
    assert frame.loc[frame.target == "b", "power"].tolist() == [0.025, 0.15, 0.5, 0.85]
    assert frame.loc[frame.n == 50, ["converged", "improper", "failed"]].values.tolist() == [[198, 4, 1]] * 2
    assert all(pd.api.types.is_integer_dtype(frame[c]) for c in ("n", "replications", "converged", "failed"))
    assert table.power("a") == (0.1, 0.45, 0.75, 0.95)


def test_smallest_n_per_target_ignores_a_fluke_below_the_last_dip() -> None:
    table = _table({"steady": [100, 150, 170, 190], "fluke": [165, 150, 170, 199], "never": [0, 10, 20, 159]})
    assert table.smallest_n(power=0.8, target="steady") == 200
    assert table.smallest_n(power=0.75, target="steady") == 100
    # 0.825 at n = 50 then 0.75 at n = 100: the curve reaches 0.8 for good from n = 200
    assert table.smallest_n(power=0.8, target="fluke") == 200
    assert table.smallest_n(power=0.8) == {"steady": 200, "fluke": 200, "never": None}
    assert table.smallest_n(power=0.795, target="never") == 400


def test_csv_bytes_are_fixed_format_and_stable() -> None:
    table = _table({"reject": [1, 2, 3, 200]}, ns=(10, 20, 40, 80), reps=3 * 67)
    text = table.to_csv_bytes().decode("utf-8")
    lines = text.split("\n")
    assert lines[0] == ",".join(COLUMNS) and text.endswith("\n") and "\r" not in text
    assert lines[1].startswith("10,reject,0.004975,0.004963,")  # 1/201 and sqrt(p(1-p)/201) at 6 decimals
    # R: prop.test(200, 201, correct = FALSE)$conf.int -> 0.9723617968 0.9991212279
    assert lines[4] == "80,reject,0.995025,0.004963,0.972362,0.999121,201,201,0,0"
    assert table.to_csv_bytes() == dataclasses.replace(table).to_csv_bytes()


def test_a_target_name_with_a_comma_is_quoted() -> None:
    table = _table({"below:trust, local": [1]}, ns=(30,), reps=4)
    assert table.to_csv_bytes().decode().split("\n")[1].startswith('30,"below:trust, local",0.250000,')


def test_summary_states_the_table_the_smallest_n_and_the_failures() -> None:
    table = _table(
        {"a": [20, 90, 150, 190]}, failed=(2, 0, 0, 0), errors=((50, 7, "LinAlgError: singular matrix"),), seed=11
    )
    text = table.summary()
    assert "200 replications per sample size, seed 11" in text and "95% Wilson" in text
    assert "a: 400" in text  # 0.95 at n = 400, 0.75 at n = 200
    assert "2 replication(s) failed" in text and "n = 50, replication 7: LinAlgError: singular matrix" in text
    assert "not reached by n = 400" in _table({"a": [0, 0, 0, 1]}).summary()


def test_the_table_is_frozen() -> None:
    table = _table({"a": [20, 90, 150, 190]})
    with pytest.raises(dataclasses.FrozenInstanceError):
        table.replications = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    ("change", "param"),
    [
        ({"ns": (100, 50, 200, 400)}, "ns"),
        ({"converged": (200, 200)}, "converged"),
        ({"successes": ((1, 2),) * 4}, "successes"),
        ({"conf_level": 95}, "conf_level"),
    ],
)
def test_inconsistent_counts_are_one_line_naming_the_field(change: dict, param: str) -> None:
    with pytest.raises(ValueError, match=rf"^{param}: "):
        dataclasses.replace(_table({"a": [20, 90, 150, 190]}), **change)


def test_bad_queries_name_the_parameter() -> None:
    table = _table({"a": [20, 90, 150, 190]})
    with pytest.raises(ValueError, match=r"^power: "):
        table.smallest_n(power=80)
    with pytest.raises(ValueError, match=r"^target: 'b' is not one of \['a'\]"):
        table.smallest_n(target="b")
