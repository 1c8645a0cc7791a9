"""Notebook 06: how many respondents a repeat survey of a place needs to find this study's findings again.

A *finding* of a place is what the study reports for it: a construct rated below the other places (notebook
05's ``below_others.csv``, ``below`` true: Welch's t against the other places pooled, Holm over the case's
constructs) and a significant driver of perceived effectiveness (notebook 04's ``drivers.csv``, p < .05).
The power of a repeat survey of ``n`` respondents to find each one again is estimated by Monte Carlo
simulation (:func:`emstudy.planning.engine.run_power`, in process: the pipeline already runs the cases in
parallel) on the place's construct scores *as fitted* (:class:`emstudy.planning.population.ScorePopulation`:
per place a multivariate normal with the observed means and covariances and the observed missing rate per
score; the other places keep their observed sizes), applying the study's own rule to each simulated survey
(:class:`~emstudy.planning.analyses.BelowOthers`; :class:`~emstudy.planning.analyses.DriverCoefficient`,
OLS with HC3 on the place's scores without the role covariate of notebook 04). The smallest ``n`` of the
grid whose power reaches the target (0.8) is reported per finding, and the largest of those is what a
repeat survey needs for all of them. Beside the simulation, the CFA of notebook 03 gets the analytic sample
size of MacCallum, Browne & Sugawara (1996) for its RMSEA test (:func:`emstudy.stats.rmsea_sample_size`).

Every number comes from the seeded engine (replication ``r`` at size ``n`` draws from
``SeedSequence(seed)``; the bytes do not depend on how replications are chunked), so a rerun writes the
same ``planning.csv``, ``planning.json`` and power-curve figure.

References
----------
MacCallum, R. C., Browne, M. W., & Sugawara, H. M. (1996). Power analysis and determination of sample
size for covariance structure modeling. *Psychological Methods*, 1(2), 130-149.
Muthen, L. K., & Muthen, B. O. (2002). How to use a Monte Carlo study to decide on sample size and
determine power. *Structural Equation Modeling*, 9(4), 599-620.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from emstudy.errors import EmstudyError
from emstudy.fileio import write_csv, write_json
from emstudy.project import Project
from emstudy.steps import files
from emstudy.steps.context import CASE_COLUMN, load_all
from emstudy.survey.cases import Case
from emstudy.survey.codebook import Codebook

__all__ = [
    "SAMPLE_SIZES",
    "REPLICATIONS",
    "TARGET_POWER",
    "PlanningResults",
    "study_findings",
    "rmsea_plan",
    "finding_label",
    "plan_text",
    "run",
    "write_results",
    "write_figures",
    "power_figure_png",
]

SAMPLE_SIZES = (50, 100, 200, 300, 400, 600, 800)
"""The grid of a repeat survey's sizes (respondents of the place) that notebook 06 simulates."""
REPLICATIONS = 200
"""Simulated surveys per size (Monte Carlo SE of a power of 0.8: 0.028), within notebook 06's time budget."""
TARGET_POWER = 0.8
"""The power a repeat survey should have for each finding."""
RMSEA0 = 0.05
"""The RMSEA of close fit (MacCallum et al. 1996)."""
RMSEA_POOR = 0.08
"""The RMSEA of the alternative in MacCallum et al.'s (1996) test of close fit."""
_COLUMNS = ["target", "kind", "construct", "n", "power", "mc_se", "ci_lower", "ci_upper"]
_COLUMNS += ["replications", "converged", "improper", "failed"]


@dataclass(frozen=True)
class PlanningResults:
    """The plan for a repeat survey of one place (:func:`run`).

    Attributes
    ----------
    case : Case
    synthetic : bool
        The place's data are synthetic (every table, text and figure says so).
    n_study : int
        Respondents the place's survey kept (notebook 01).
    findings : pandas.DataFrame
        One row per finding: ``target`` (``below:<construct>``, ``driver:<construct>``), ``kind``
        (``below_others``, ``driver``), ``construct``, ``estimate`` (difference to the other places, or the
        OLS coefficient), ``pvalue`` (Holm-adjusted for a weakness), ``smallest_n`` (the smallest ``n`` of the
        grid from which on the power is >= the target, :meth:`~emstudy.planning.result.PowerTable.smallest_n`;
        missing when the largest ``n`` does not reach it), ``power_max`` (power at the largest ``n``) and
        ``label_en``, ``label_zh`` (the finding in words).
    power : pandas.DataFrame
        The power table of the findings: ``target, kind, construct, n, power, mc_se, ci_lower, ci_upper,
        replications, converged, improper, failed``.
    rmsea : dict or None
        The CFA's analytic plan (:func:`rmsea_plan`); None when notebook 03 did not fit the CFA.
    settings : dict
        Grid, replications, seed, target power, alpha, the population and the engine.
    errors : tuple of str
        The first error message of each analysis that had failed replications (counted in ``failed``).
    text : dict of str to list of str
        The plan in words, ``"en"`` and ``"zh"``.
    """

    case: Case
    synthetic: bool
    n_study: int
    findings: pd.DataFrame
    power: pd.DataFrame
    rmsea: dict | None
    settings: dict
    errors: tuple[str, ...] = ()
    text: dict[str, list[str]] = field(default_factory=dict)

    @property
    def needed(self) -> int | None:
        """Respondents a repeat survey needs for every finding at the target power: the largest smallest ``n``
        (None when a finding does not reach it on the grid, or there is no finding)."""
        if self.findings.empty or self.findings["smallest_n"].isna().any():
            return None
        return int(self.findings["smallest_n"].max())

    def to_dict(self) -> dict[str, object]:
        """What ``planning.json`` holds."""
        rows = self.findings.astype(object).where(self.findings.notna(), None).to_dict(orient="records")
        for row in rows:
            row["smallest_n"] = None if row["smallest_n"] is None else int(row["smallest_n"])
        hardest = _hardest(self.findings, self.settings["ns"])
        return {
            "case": self.case.id,
            "synthetic": self.synthetic,
            "n_study": self.n_study,
            "target_power": self.settings["power"],
            "needed": self.needed,
            "hardest": None if hardest is None else rows[hardest],
            "findings": rows,
            "rmsea": self.rmsea,
            "settings": self.settings,
            "errors": list(self.errors),
            "text": self.text,
        }

    def __repr__(self) -> str:
        return (
            f"PlanningResults(case={self.case.id!r}, findings={len(self.findings)}, needed={self.needed}, "
            f"n_study={self.n_study}, synthetic={self.synthetic})"
        )


def study_findings(below: pd.DataFrame, drivers: pd.DataFrame | None, case_id: str, codebook: Codebook) -> pd.DataFrame:
    """The findings of a place to plan for: its weaknesses below the other places and its significant drivers.

    Parameters
    ----------
    below : pandas.DataFrame
        Notebook 05's ``below_others.csv`` (every case).
    drivers : pandas.DataFrame or None
        Notebook 04's ``drivers.csv`` of the place (``term, coef, pvalue, ...``); None or empty when the
        models were not fitted.
    case_id : str
    codebook : Codebook
        The core codebook (extension constructs are left out: the simulation uses the shared core).

    Returns
    -------
    pandas.DataFrame
        ``target, kind, construct, estimate, pvalue``: weaknesses first (in codebook order), then drivers
        (p < .05, core constructs only, in codebook order).
    """
    core = list(codebook.construct_ids)
    mine = below[(below["case"].astype(str) == case_id) & below["below"].astype(bool)]
    mine = mine.set_index("construct").reindex([c for c in core if c in set(mine["construct"])])
    rows = [
        {
            "target": f"below:{c}",
            "kind": "below_others",
            "construct": c,
            "estimate": r["diff"],
            "pvalue": r["pvalue_holm"],
        }
        for c, r in mine.iterrows()
    ]
    if drivers is not None and not drivers.empty:
        terms = drivers.set_index("term")
        for c in core:
            if c in terms.index and float(terms.loc[c, "pvalue"]) < 0.05:
                row = terms.loc[c]
                rows.append(
                    {
                        "target": f"driver:{c}",
                        "kind": "driver",
                        "construct": c,
                        "estimate": float(row["coef"]),
                        "pvalue": float(row["pvalue"]),
                    }
                )
    return pd.DataFrame(rows, columns=["target", "kind", "construct", "estimate", "pvalue"])


def rmsea_plan(fit: Mapping[str, object], *, power: float = TARGET_POWER, alpha: float = 0.05) -> dict | None:
    """The analytic sample size for the CFA's RMSEA finding (MacCallum, Browne & Sugawara 1996).

    Parameters
    ----------
    fit : mapping
        Notebook 03's ``cfa_fit.json`` (``converged`` and ``fit`` with lavaan's ``df``, ``rmsea``, ``npar``,
        ``ntotal``).
    power, alpha : float

    Returns
    -------
    dict or None
        ``df, rmsea, n_study, npar``; ``test`` ("not-close fit" when the RMSEA is below 0.05: a repeat
        survey should reject eps >= 0.05 if the RMSEA is the one found; "close fit" otherwise: it should
        reject eps <= 0.05), ``rmsea0``, ``rmsea_a``, ``n`` (the smallest n with that power; None when the
        RMSEA equals 0.05, where no n has power), and ``close_fit_n``, the n of MacCallum et al.'s
        conventional test of close fit (0.05 against 0.08). None when the CFA did not converge or has no
        degrees of freedom.
    """
    from emstudy.stats import rmsea_sample_size

    stats = fit.get("fit") or {}
    df, eps = stats.get("df"), stats.get("rmsea")
    if not fit.get("converged") or df is None or eps is None or float(df) < 1:
        return None
    df, eps = int(round(float(df))), float(eps)
    test = "not-close fit" if eps < RMSEA0 else "close fit"
    n = None if eps == RMSEA0 else rmsea_sample_size(df=df, power=power, rmsea0=RMSEA0, rmsea_a=eps, alpha=alpha)
    return {
        "df": df,
        "rmsea": eps,
        "n_study": None if stats.get("ntotal") is None else int(stats["ntotal"]),
        "npar": None if stats.get("npar") is None else int(stats["npar"]),
        "test": test,
        "rmsea0": RMSEA0,
        "rmsea_a": eps,
        "n": n,
        "close_fit_n": rmsea_sample_size(df=df, power=power, rmsea0=RMSEA0, rmsea_a=RMSEA_POOR, alpha=alpha),
        "alpha": alpha,
        "power": power,
    }


def _hardest(found: pd.DataFrame, ns: Sequence[int]) -> int | None:
    """Position of the finding that needs the most respondents (one the grid never reaches above all; the
    first of equals); None without findings."""
    if found.empty:
        return None
    need = [max(ns) + 1 if pd.isna(n) else int(n) for n in found["smallest_n"]]
    return need.index(max(need))


def _read_inputs(project: Project, case_id: str) -> tuple[pd.DataFrame, pd.DataFrame | None, dict | None]:
    cross = files.cross_case_results_dir(project)
    below_path = cross / files.BELOW_OTHERS
    if not below_path.is_file():
        raise EmstudyError(f"{below_path}: not found; run notebook 05_compare first (emstudy run)")
    below = pd.read_csv(below_path)
    if case_id not in set(below["case"].astype(str)):
        raise EmstudyError(f"{below_path}: case {case_id!r} was not compared; run notebook 05_compare with it")
    results = project.results_dir(case_id)
    drivers_path = results / files.DRIVERS_TABLE
    try:  # a case too small for the drivers model leaves the table empty (notebook 04 says why)
        drivers = pd.read_csv(drivers_path) if drivers_path.is_file() else None
    except pd.errors.EmptyDataError:
        drivers = None
    fit_path = results / files.CFA_FIT
    fit = json.loads(fit_path.read_text(encoding="utf-8")) if fit_path.is_file() else None
    return below, drivers, fit


def _simulate(
    scores: pd.DataFrame, found: pd.DataFrame, case_id: str, codebook: Codebook, settings: Mapping
) -> tuple[pd.DataFrame, dict[str, int | None], tuple[str, ...]]:
    """Power of each finding on the grid: one engine run for the weaknesses (all places drawn), one for the
    drivers (the place alone)."""
    from tqdm import TqdmWarning

    from emstudy.planning.analyses import BelowOthers, DriverCoefficient
    from emstudy.planning.population import ScorePopulation

    with warnings.catch_warnings():  # tqdm.auto without ipywidgets in a kernel: no progress bar is shown here
        warnings.simplefilter("ignore", TqdmWarning)
        from emstudy.planning.engine import run_power

    core, outcome = list(codebook.construct_ids), codebook.outcome.id
    frames, smallest, errors = [], {}, []
    kw = {"ns": settings["ns"], "replications": settings["replications"], "seed": settings["seed"]}
    for kind in ("below_others", "driver"):
        targets = list(found.loc[found["kind"] == kind, "target"])
        if not targets:
            continue
        if kind == "below_others":
            data, columns = scores, core
            analysis = BelowOthers(case_id, core, alpha=settings["alpha"], case_col=CASE_COLUMN)
        else:
            data, columns = scores[scores[CASE_COLUMN] == case_id], [*core, outcome]
            drivers = found[found["kind"] == "driver"]
            signs = {c: 1 if e > 0 else -1 for c, e in zip(drivers["construct"], drivers["estimate"])}
            analysis = DriverCoefficient(outcome, core, alpha=settings["alpha"], signs=signs)
        population = ScorePopulation.from_scores(data, case_col=CASE_COLUMN, columns=columns, place=case_id)
        table = run_power(population, analysis, scheduler="synchronous", **kw)
        errors += [f"{kind}, n = {n}, replication {r}: {message}" for n, r, message in table.errors]
        smallest |= {t: table.smallest_n(power=settings["power"], target=t) for t in targets}
        frame = table.to_frame()
        frames.append(frame[frame["target"].isin(targets)].assign(kind=kind))
    if not frames:
        return pd.DataFrame(columns=_COLUMNS), smallest, tuple(errors)
    power = pd.concat(frames, ignore_index=True)
    power["construct"] = power["target"].str.split(":", n=1).str[1]
    order = {t: k for k, t in enumerate(found["target"])}
    power = power.sort_values(
        ["target", "n"], key=lambda s: s.map(order) if s.name == "target" else s, kind="mergesort"
    )
    return power[_COLUMNS].reset_index(drop=True), smallest, tuple(errors)


def run(
    project: Project,
    case_id: str,
    *,
    ns: Sequence[int] = SAMPLE_SIZES,
    replications: int = REPLICATIONS,
    seed: int = 20190719,
    power: float = TARGET_POWER,
    alpha: float = 0.05,
) -> PlanningResults:
    """Plan a repeat survey of a place: the power of each of its findings on a grid of sizes.

    Parameters
    ----------
    project : Project
        The project whose committed results are read (``analysis/``).
    case_id : str
    ns : sequence of int
        Respondents of the place in the repeat survey (the other places keep their observed sizes).
    replications : int
        Simulated surveys per size.
    seed : int
        The study seed (the engine derives replication ``r`` at size ``n`` from it alone).
    power : float
        Target power.
    alpha : float
        Level of each finding's test, as in the study.

    Returns
    -------
    PlanningResults

    Raises
    ------
    EmstudyError
        When notebook 05 has not compared the case (``below_others.csv``).

    References
    ----------
    Muthen, L. K., & Muthen, B. O. (2002). How to use a Monte Carlo study to decide on sample size and
    determine power. *Structural Equation Modeling*, 9(4), 599-620.
    """
    _check_args(ns=ns, replications=replications, seed=seed, power=power, alpha=alpha)
    below, drivers, fit = _read_inputs(project, case_id)
    compared = list(dict.fromkeys(below["case"].astype(str)))
    cc = load_all(project.root, compared)
    scores = cc.scores
    codebook = cc.codebook
    found = study_findings(below, drivers, case_id, codebook)
    settings = {
        "ns": [int(n) for n in ns],
        "replications": int(replications),
        "seed": int(seed),
        "power": float(power),
        "alpha": float(alpha),
        "population": "as fitted: per place a multivariate normal with the observed means, covariances "
        "(pairwise) and missing rates of the construct scores; the other places at their observed sizes",
        "engine": "emstudy.planning.engine.run_power(scheduler='synchronous')",
        "cases": compared,
    }
    table, smallest, errors = _simulate(scores, found, case_id, codebook, settings)
    top = [float(table.loc[table["target"] == t].sort_values("n")["power"].iloc[-1]) for t in found["target"]]
    found = found.assign(
        smallest_n=pd.array([smallest[t] for t in found["target"]], dtype="Int64"),
        power_max=pd.array(top, dtype=float),
        **{
            f"label_{lang}": [finding_label(k, c, codebook, lang) for k, c in zip(found["kind"], found["construct"])]
            for lang in ("en", "zh")
        },
    )
    n_study = int((scores[CASE_COLUMN] == case_id).sum())
    rmsea = None if fit is None else rmsea_plan(fit, power=power, alpha=alpha)
    synthetic = project.is_synthetic(case_id)
    case = cc.cases[case_id]
    res = PlanningResults(case, synthetic, n_study, found, table, rmsea, settings, errors)
    return PlanningResults(**{**res.__dict__, "text": plan_text(res, codebook)})


def _check_args(*, ns: Sequence[int], replications: int, seed: int, power: float, alpha: float) -> None:
    if isinstance(ns, (str, bytes)) or not len(ns) or any(isinstance(n, bool) or int(n) != n or n < 2 for n in ns):
        raise ValueError(f"ns: expected a non-empty list of whole numbers >= 2, got {ns!r}")
    if len(set(ns)) != len(ns):
        raise ValueError(f"ns: every size must appear once, got {list(ns)}")
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 1:
        raise ValueError(f"replications: expected a whole number >= 1, got {replications!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed: expected a whole number >= 0, got {seed!r}")
    for name, value in (("power", power), ("alpha", alpha)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
            raise ValueError(f"{name}: expected a number in (0, 1), got {value!r}")


_WORDS = {
    "en": {
        "below_others": "{label} rated below the other places",
        "driver": "{label} as a driver of {outcome}",
        "needed": "{name}: for each of this study's {k} findings to be found again with power {power:g}, a "
        "repeat survey needs about {n} respondents (this survey kept {n_study}); the hardest to repeat is {hard}.",
        "not_reached": "{name}: with {max} respondents a repeat survey would still find {hard} with power "
        "{top:.2f} only, below {power:g}; it needs more than {max} (this survey kept {n_study}).",
        "none": "{name}: this study found no weakness below the other places and no significant driver, so "
        "there is no finding for a repeat survey to find again.",
        "rmsea": "The CFA's test of {test} (RMSEA {rmsea:.3f} against {rmsea0:.2f}, df = {df}) reaches power "
        "{power:g} at n = {n} by MacCallum, Browne & Sugawara's (1996) formula; the model itself needs more "
        "respondents than its {npar} free parameters.",
        "synthetic": "Computed from synthetic data: the numbers plan a survey of the synthetic study.",
    },
    "zh": {
        "below_others": "{label}低于其他地区",
        "driver": "{label}对{outcome}的影响",
        "needed": "{name}：若要以{power:g}的统计功效重现本研究的{k}项发现，重复调查约需{n}名受访者"
        "（本次调查有效样本{n_study}份）；最难重现的发现是“{hard}”。",
        "not_reached": "{name}：即使重复调查有{max}名受访者，发现“{hard}”的统计功效也只有{top:.2f}，"
        "低于{power:g}；所需样本量超过{max}（本次调查有效样本{n_study}份）。",
        "none": "{name}：本研究未发现低于其他地区的构念，也未发现显著的影响因素，因此重复调查没有需要重现的发现。",
        "rmsea": "按MacCallum、Browne和Sugawara（1996）的公式，验证性因子分析的{test}检验（RMSEA为{rmsea:.3f}，"
        "对照{rmsea0:.2f}，自由度{df}）在样本量{n}时统计功效达到{power:g}；模型本身所需的受访者还须多于其{npar}个自由参数。",
        "synthetic": "以上数字基于合成数据计算，仅用于规划合成研究的调查。",
        "tests": {"not-close fit": "非近似拟合", "close fit": "近似拟合"},
    },
}


def finding_label(kind: str, construct: str, codebook: Codebook, lang: str) -> str:
    """A finding in words ("Warning rated below the other places"; "预警低于其他地区")."""
    outcome = codebook.label(codebook.outcome.id, lang)
    outcome = outcome[:1].lower() + outcome[1:] if lang == "en" else outcome
    return _WORDS[lang][kind].format(label=codebook.label(construct, lang), outcome=outcome)


def plan_text(results: PlanningResults, codebook: Codebook) -> dict[str, list[str]]:
    """The plan in English and Chinese: respondents needed for all findings, and the CFA's analytic n."""
    out: dict[str, list[str]] = {}
    found, power = results.findings, results.settings["power"]
    for lang, words in _WORDS.items():
        name = results.case.name.en if lang == "en" else results.case.name.zh
        lines = []
        if found.empty:
            lines.append(words["none"].format(name=name))
        else:
            hard = found.iloc[_hardest(found, results.settings["ns"])]
            label = hard[f"label_{lang}"]
            common = {"name": name, "power": power, "n_study": results.n_study, "hard": label}
            if results.needed is None:
                top = float(hard["power_max"]) if pd.notna(hard["power_max"]) else 0.0
                lines.append(words["not_reached"].format(max=max(results.settings["ns"]), top=top, **common))
            else:
                lines.append(words["needed"].format(k=len(found), n=results.needed, **common))
        plan = results.rmsea
        if plan and plan["n"] is not None and plan["npar"] is not None:
            test = words.get("tests", {}).get(plan["test"], plan["test"])
            lines.append(words["rmsea"].format(**{**plan, "test": test, "power": power}))
        if results.synthetic:
            lines.append(words["synthetic"])
        out[lang] = lines
    return out


def write_results(results: PlanningResults, results_dir: str | Path) -> list[Path]:
    """Write ``planning.csv`` (the power table of the findings) and ``planning.json`` (the plan) atomically."""
    if not isinstance(results, PlanningResults):
        raise TypeError(
            f"results: expected the PlanningResults of emstudy.steps.planning.run, got {type(results).__name__}"
        )
    results_dir = Path(results_dir)
    return [
        write_csv(results_dir / files.PLANNING_TABLE, results.power, index=False),
        write_json(results_dir / files.PLANNING, results.to_dict()),
    ]


_FIGURE_WORDS = {
    "en": {
        "below_others": "{} (below the other places)",
        "driver": "{} (driver)",
        "title": "{name}: power of a repeat survey",
        "synthetic": " (synthetic data)",
    },
    "zh": {
        "below_others": "{}（低于其他地区）",
        "driver": "{}（驱动因素）",
        "title": "{name}：重复调查的统计功效",
        "synthetic": "（合成数据）",
    },
}


def write_figures(results: PlanningResults, reports_dir: str | Path, *, codebook: Codebook) -> list[Path]:
    """Draw the power curve of every finding (:func:`emstudy.reporting.figures.plot_power_curve`) into
    ``reports/figures/<case>_power.png`` and, in Chinese, ``<case>_power.zh.png`` (title and legend in that
    language, the place by its name; the title says when the data are synthetic)."""
    from emstudy.reporting.figures import plot_power_curve, save_figure
    from emstudy.reporting.pages import LANGS

    found = results.findings
    written: list[Path] = []
    for lang in LANGS:
        words = _FIGURE_WORDS[lang]
        labels = {
            t: words[k].format(codebook.label(c, lang))
            for t, k, c in zip(found["target"], found["kind"], found["construct"])
        }
        name = (results.case.name.en if lang == "en" else results.case.name.zh) + (
            words["synthetic"] if results.synthetic else ""
        )
        fig = plot_power_curve(
            results.power,
            labels=labels,
            power=results.settings["power"],
            n_study=results.n_study,
            title=words["title"].format(name=name),
            lang=lang,
        )
        written.append(save_figure(fig, Path(reports_dir) / files.case_power_figure(results.case.id, lang)))
    return written


def power_figure_png(table: pd.DataFrame, *, power: float, title: str) -> bytes:
    """A power table's curves (:func:`emstudy.reporting.figures.plot_power_curve`) as byte-stable PNG bytes.

    ``emstudy plan`` writes them beside its table; the runner reaches the reporting layer only through a step.
    """
    import matplotlib.pyplot as plt

    from emstudy.reporting.figures import figure_png, plot_power_curve

    fig = plot_power_curve(table, power=power, title=title)
    try:
        return figure_png(fig)
    finally:
        plt.close(fig)
