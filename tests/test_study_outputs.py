"""The committed study: findings recover the generator's truth; reports say they are synthetic."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import personal_data_in_output


def _json(path):
    return json.loads(path.read_text(encoding="utf-8"))


def test_priorities_are_the_weaknesses_each_case_file_reports(project):
    """Source: data/cases/<case>.yml `weaknesses` (the generator sets them lowest, most severe first)."""
    for case in project.cases():
        findings = _json(project.results_dir(case.id) / "findings.json")
        found = [p["construct"] for p in findings["priorities"]]
        assert found == list(case.weaknesses), case.id


def test_recovered_means_cover_the_generators_truth(project):
    """Source: expected_construct_means in data/raw/<case>.truth.json; CIs from notebook 05."""
    means = pd.read_csv(project.analysis_dir / "all" / "results" / "construct_means_by_case.csv")
    inside, total = 0, 0
    for case_id in project.case_ids():
        truth = _json(project.raw_dir / f"{case_id}.truth.json")["expected_construct_means"]
        for construct, expected in truth.items():
            row = means[(means["case"] == case_id) & (means["construct"] == construct)].iloc[0]
            inside += bool(row["ci_lower"] <= expected <= row["ci_upper"])
            total += 1
    assert total == 60
    assert inside / total >= 0.95, f"{inside} of {total}"


@pytest.mark.parametrize("lang,suffix,notice", [("en", "", "SYNTHETIC DATA"), ("zh", ".zh", "合成数据")])
def test_every_report_says_synthetic_on_its_first_screen_and_names_its_thesis(project, lang, suffix, notice):
    for case in project.cases():
        md = (project.reports_dir / f"{case.id}{suffix}.md").read_text(encoding="utf-8")
        first_screen = "\n".join(md.splitlines()[:6])
        assert notice in first_screen and case.source_abstract in first_screen, case.id
        page = (project.reports_dir / f"{case.id}{suffix}.html").read_text(encoding="utf-8")
        assert page.index(notice) < page.index("<section>")
        assert "<script" not in page and "https://" not in page and "http://" not in page
        assert (project.reports_dir / "figures" / f"{case.id}_profile.png").is_file()
        # the importance-performance map from notebook 04's results is shown in the case report
        assert (project.reports_dir / "figures" / f"{case.id}_ipa.png").is_file()
        assert f"](figures/{case.id}_ipa.png)" in md and f'<img src="figures/{case.id}_ipa.png"' in page
    summary = (project.reports_dir / f"summary{suffix}.md").read_text(encoding="utf-8")
    assert notice in "\n".join(summary.splitlines()[:6])


def test_recommendations_follow_the_priorities(project):
    for case in project.cases():
        findings = _json(project.results_dir(case.id) / "findings.json")
        recs = findings["recommendations"]
        assert recs and recs[0]["construct"] == findings["priorities"][0]["construct"]
        assert all(r["en"] and r["zh"] for r in recs)


def test_no_personal_data_in_any_output(project):
    # reports/manifest.json (local run record, not committed) holds only versions, parameters and SHA-256
    # digests; a hex digest can contain a digit run shaped like a phone number, so it is not scanned
    for folder in (project.analysis_dir, project.reports_dir):
        for path in folder.rglob("*"):
            if path == project.reports_dir / "manifest.json":
                continue
            if path.suffix in {".md", ".html", ".json", ".csv", ".ipynb"} and path.is_file():
                hits = personal_data_in_output(path.read_text(encoding="utf-8"))
                assert not hits, f"{path}: {hits[:3]}"


def test_output_scan_ignores_decimal_digits_but_not_phone_numbers():
    assert personal_data_in_output('"bartlett_chisq": 2167.098437627828, "p": 3.5e-68') == []
    assert [k for k, _ in personal_data_in_output("value 2167.09 call 13812345678 or 0571-87654321")] == [
        "phone",
        "phone",
    ]
