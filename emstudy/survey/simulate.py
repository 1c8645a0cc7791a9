"""The synthetic study: a seeded population model per case, with the truth it drew.

SYNTHETIC DATA. The theses' raw responses are not public; this module generates responses to the shared
instrument whose construct means encode the weaknesses each thesis reports.

Model, per case (all on a latent standard-normal metric):

* role ``r`` is drawn with the case's shares; latent construct scores
  ``eta ~ N(mu_case + shift_r, R)``, ``R`` with unit variances and a common correlation ``rho``;
* case means ``mu_case[c]`` are drawn uniformly from ``[0.15, 0.55]``, except the case's weaknesses, which
  are set to ``-0.45, -0.35, -0.25`` in the order the case file lists them;
* the outcome (perceived effectiveness) is ``intercept + w . (eta - mean) + e`` with unit variance;
* item responses ``x* = lambda_j eta + sqrt(1 - lambda_j^2) e_j`` are cut at shared thresholds into 1..5;
  a reverse-keyed item is answered as the mirror image (``6 - code``);
* a few per cent of answers are missing or "不清楚", a few respondents straight-line or speed, and two
  submissions are duplicated.

The parameters and the drawn truth are written to ``data/raw/<case>.truth.json`` beside the data.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import norm

from emstudy.errors import EmstudyError
from emstudy.fileio import atomic_write_bytes
from emstudy.survey.cases import Case
from emstudy.survey.codebook import Codebook
from emstudy.survey.encode import decode

__all__ = [
    "SimulationSettings",
    "simulate_case",
    "draw_responses",
    "expected_construct_means",
    "truth_json",
    "truth_file_name",
    "STUDY_SEED",
]

STUDY_SEED = 20190719

#: Suggestions for the open question (the project's own wording), keyed by construct.
_SUGGESTIONS = {
    "plan": "希望预案更贴近实际，多组织演练检验。",
    "organisation": "部门之间要加强协调，明确指挥责任。",
    "resources": "应急物资储备要更充足，调运要更快。",
    "teams": "应急队伍人手不足，需要加强专业培训。",
    "training": "多开展进社区的应急知识宣传。",
    "rules": "要落实责任追究，加强对企业的监管。",
    "warning": "预警信息要更及时，说清楚该怎么做。",
    "response": "事发后最初几个小时的处置要更快。",
    "information": "信息公开要及时透明，及时回应谣言。",
    "participation": "多发动社会组织和志愿者参与。",
    "recovery": "重视事后的心理疏导和恢复工作。",
}


@dataclass(frozen=True)
class SimulationSettings:
    """Parameters shared by every case (the case file supplies n, role shares and weaknesses)."""

    seed: int = STUDY_SEED
    rho: float = 0.40
    thresholds: tuple[float, ...] = (-1.6, -0.7, 0.2, 1.3)
    loading_range: tuple[float, float] = (0.65, 0.85)
    mean_range: tuple[float, float] = (0.15, 0.55)
    weakness_means: tuple[float, ...] = (-0.45, -0.35, -0.25, -0.20)
    role_shift: tuple[tuple[str, float], ...] = (("gov", 0.35), ("ent", 0.05), ("res", -0.20))
    outcome_weights: tuple[tuple[str, float], ...] = (
        ("response", 0.25),
        ("organisation", 0.15),
        ("information", 0.15),
        ("plan", 0.10),
        ("resources", 0.10),
        ("warning", 0.05),
    )
    outcome_intercept: float = 0.30
    overall_thresholds: tuple[float, ...] = (-1.5, -0.6, 0.3, 1.2)
    missing_rate: float = 0.02
    dont_know_rate: float = 0.005
    straightline_rate: float = 0.03
    speeding_rate: float = 0.02
    n_duplicates: int = 2
    open_answer_rate: float = 0.4

    def __post_init__(self) -> None:
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise EmstudyError(f"seed: expected a whole number from 0 upwards, got {self.seed!r}")


def _case_rng(seed: int, case_id: str, stream: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, zlib.crc32(case_id.encode("utf-8")), stream]))


def instrument_loadings(codebook: Codebook, settings: SimulationSettings) -> dict[str, float]:
    """Item loadings shared by every case (so that the instrument is invariant by construction)."""
    rng = np.random.default_rng(np.random.SeedSequence([settings.seed, 0]))
    lo, hi = settings.loading_range
    return {item: round(float(rng.uniform(lo, hi)), 4) for item in codebook.item_ids}


def case_means(case: Case, codebook: Codebook, settings: SimulationSettings) -> dict[str, float]:
    """Latent construct means of a case: weaknesses low, in the order the case file ranks them."""
    rng = _case_rng(settings.seed, case.id, 1)
    lo, hi = settings.mean_range
    means = {c: round(float(rng.uniform(lo, hi)), 4) for c in codebook.construct_ids}
    for rank, construct in enumerate(case.weaknesses):
        means[construct] = settings.weakness_means[rank]
    return means


def _cut(x: np.ndarray, thresholds: tuple[float, ...]) -> np.ndarray:
    return 1 + np.searchsorted(np.asarray(thresholds), x, side="right")


def _expected_code(mean: float, thresholds: tuple[float, ...]) -> float:
    """E[cut(x)] for x ~ N(mean, 1): 1 + sum_k P(x > tau_k)."""
    return 1.0 + float(sum(norm.sf(t - mean) for t in thresholds))


def expected_construct_means(
    case: Case, codebook: Codebook, settings: SimulationSettings = SimulationSettings()
) -> dict[str, float]:
    """Population mean of each construct score (1-5, reverse keys applied) among attentive respondents.

    Exact under the model: for item ``j`` of construct ``c`` and role ``r``, ``x*`` is normal with mean
    ``lambda_j (mu_c + shift_r)`` and unit variance; the role mixture uses the case's shares. Reverse-keyed
    items are answered as the mirror image, so their scored value has the same expectation as a regular item
    with the same loading.
    """
    loadings = instrument_loadings(codebook, settings)
    mu = case_means(case, codebook, settings)
    shift = dict(settings.role_shift)
    weights = dict(settings.outcome_weights)
    shares = case.sample.roles
    out: dict[str, float] = {}
    for construct in codebook.all_constructs:
        total = 0.0
        for role, share in shares.items():
            if construct.id == codebook.outcome.id:
                m = settings.outcome_intercept + sum(w * shift[role] for w in weights.values())
            else:
                m = mu[construct.id] + shift[role]
            total += share * np.mean([_expected_code(loadings[i.id] * m, settings.thresholds) for i in construct.items])
        out[construct.id] = round(float(total), 6)
    return out


def simulate_case(
    case: Case, codebook: Codebook, settings: SimulationSettings = SimulationSettings()
) -> tuple[pd.DataFrame, dict]:
    """Draw one case's synthetic survey.

    Returns
    -------
    raw : DataFrame
        The export as a survey platform would write it (Chinese headers and labels).
    truth : dict
        The generator's parameters and what it drew (careless respondents, duplicates, expected means).
    """
    # the draws happen in a fixed order on one generator: reordering the steps below changes the data
    rng = _case_rng(settings.seed, case.id, 2)
    n = case.sample.n
    loadings = instrument_loadings(codebook, settings)
    mu = case_means(case, codebook, settings)
    latent = _draw_latent(rng, case, codebook, settings, mu)
    answers = _draw_answers(rng, codebook, loadings, latent, settings, n)
    overall = _cut(latent.effectiveness + 0.5 * rng.standard_normal(n), settings.overall_thresholds)
    duration = np.round(rng.lognormal(np.log(420), 0.3, size=n)).astype(int)
    careless, straight_rows, speed_rows = _add_careless(rng, answers, duration, settings, n)
    # item nonresponse (only among attentive respondents, so that the flags stay unambiguous)
    attentive = np.setdiff1d(np.arange(n), careless)
    cells = rng.random(answers.shape)
    cells[careless, :] = 1.0
    answers = answers.mask(cells < settings.missing_rate)
    dont_know = (cells >= settings.missing_rate) & (cells < settings.missing_rate + settings.dont_know_rate)
    raw = _export_table(rng, codebook, answers, dont_know, latent, overall, duration, settings)

    # duplicated submissions: an attentive respondent submits twice (new serial number, same answers)
    dup_sources = np.sort(rng.choice(attentive, size=settings.n_duplicates, replace=False))
    dups = raw.iloc[dup_sources].copy()
    dups[codebook.id_column.name] = np.arange(n + 1, n + 1 + len(dups))
    raw = pd.concat([raw, dups], ignore_index=True)
    raw = raw.rename(columns=codebook.export_headers)

    ids = raw[codebook.export_headers[codebook.id_column.name]]
    attentive_mask = np.ones(n, dtype=bool)
    attentive_mask[careless] = False
    drawn = {
        "straightlining_ids": [int(ids.iloc[r]) for r in straight_rows],
        "speeding_ids": [int(ids.iloc[r]) for r in speed_rows],
        "duplicate_ids": [int(i) for i in dups[codebook.id_column.name]],
        "duplicate_of_ids": [int(ids.iloc[r]) for r in dup_sources],
        "role_counts": {r: int(np.sum(latent.roles == r)) for r in case.sample.roles},
        "sample_latent_means": {
            c: round(float(latent.eta[attentive_mask, j].mean()), 6) for j, c in enumerate(codebook.construct_ids)
        },
    }
    return raw, _truth(
        case, codebook, settings, n_rows=int(len(raw)), mu=mu, loadings=loadings, resid_sd=latent.resid_sd, drawn=drawn
    )


def draw_responses(
    case: Case,
    codebook: Codebook,
    settings: SimulationSettings = SimulationSettings(),
    *,
    n: int,
    rng: np.random.Generator,
    missing_rate: float | None = None,
    careless_rate: float | None = None,
) -> pd.DataFrame:
    """Draw ``n`` respondents of a case from the generator "as designed", numerically, for planning studies.

    The population model of :func:`simulate_case` (roles, latent construct scores, outcome, items cut at the
    shared thresholds, reverse-keyed items answered mirrored, overall rating, duration, straight-liners and
    speeders, item non-response among attentive respondents), drawn at any ``n`` from ``rng`` with whole
    arrays instead of a survey export: no labels, open answers or duplicated submissions (the encoding drops
    duplicates anyway). :func:`simulate_case` is untouched (its bytes do not change).

    Parameters
    ----------
    case, codebook, settings
        As for :func:`simulate_case` (``case.sample.n`` is not used).
    n : int
        Respondents who submit the questionnaire (careless ones included).
    rng : numpy.random.Generator
        The source of every draw.
    missing_rate : float, optional
        Share of item answers left empty among attentive respondents (the encoding reads a missing answer
        and "不清楚" alike as missing); default the study's, ``settings.missing_rate + settings.dont_know_rate``.
    careless_rate : float, optional
        Share of careless respondents, split between straight-liners and speeders in the study's proportion;
        default the study's, ``settings.straightline_rate + settings.speeding_rate``.

    Returns
    -------
    pandas.DataFrame
        One row per respondent (index ``respondent_id`` 1..n): the items as answered (codes, NaN when not
        answered), ``role`` (its code), the overall rating (1-5) and the duration in seconds, under the
        codebook's ids, as :func:`emstudy.survey.encode.encode` reads them.

    References
    ----------
    Meade, A. W., & Craig, S. B. (2012). Identifying careless responses in survey data. *Psychological
    Methods*, 17(3), 437-455.
    """
    study_careless = settings.straightline_rate + settings.speeding_rate
    missing_rate = settings.missing_rate + settings.dont_know_rate if missing_rate is None else missing_rate
    careless_rate = study_careless if careless_rate is None else careless_rate
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise EmstudyError(f"n: expected a whole number of respondents from 2 upwards, got {n!r}")
    for name, rate in (("missing_rate", missing_rate), ("careless_rate", careless_rate)):
        if not (isinstance(rate, (int, float)) and 0 <= rate < 1):
            raise EmstudyError(f"{name}: expected a share in [0, 1), got {rate!r}")
    sized = case.model_copy(update={"sample": case.sample.model_copy(update={"n": int(n)})})
    latent = _draw_latent(rng, sized, codebook, settings, case_means(case, codebook, settings))
    loadings = instrument_loadings(codebook, settings)
    scores = {c: latent.eta[:, j] for j, c in enumerate(codebook.construct_ids)}
    scores[codebook.outcome.id] = latent.effectiveness
    items = [item for construct in codebook.all_constructs for item in construct.items]
    owner = [construct.id for construct in codebook.all_constructs for _ in construct.items]
    lam = np.array([loadings[item.id] for item in items])
    xstar = np.column_stack([scores[c] for c in owner]) * lam + np.sqrt(1 - lam**2) * rng.standard_normal((n, len(lam)))
    codes = _cut(xstar, settings.thresholds).astype(float)
    mirror = np.array([item.reverse for item in items])
    codes[:, mirror] = codebook.scale.min + codebook.scale.max - codes[:, mirror]
    overall = _cut(latent.effectiveness + 0.5 * rng.standard_normal(n), settings.overall_thresholds)
    duration = np.round(rng.lognormal(np.log(420), 0.3, size=n))
    share = settings.straightline_rate / study_careless if study_careless > 0 else 1.0
    n_straight, n_speed = round(share * careless_rate * n), round((1 - share) * careless_rate * n)
    careless = rng.choice(n, size=n_straight + n_speed, replace=False)
    straight, speed = careless[:n_straight], careless[n_straight:]
    codes[straight, :] = rng.integers(3, 6, size=n_straight)[:, None]
    codes[speed, :] = rng.integers(1, 6, size=(n_speed, codes.shape[1]))
    duration[speed] = rng.integers(40, 100, size=n_speed)
    cells = rng.random(codes.shape)
    cells[careless, :] = 1.0
    codes[cells < missing_rate] = np.nan
    out = pd.DataFrame(codes, columns=[item.id for item in items], index=pd.RangeIndex(1, n + 1, name="respondent_id"))
    out["role"] = latent.roles
    out[codebook.overall.id] = overall.astype(float)
    out[codebook.duration_column.name] = duration
    return out


@dataclass(frozen=True)
class _Latent:
    """What :func:`_draw_latent` drew: roles, construct scores (n x k), the outcome and its residual SD."""

    roles: np.ndarray
    eta: np.ndarray
    effectiveness: np.ndarray
    resid_sd: float


def _draw_latent(
    rng: np.random.Generator, case: Case, codebook: Codebook, settings: SimulationSettings, mu: dict[str, float]
) -> _Latent:
    """Roles by the case's shares, correlated construct scores shifted by role, and the outcome."""
    n = case.sample.n
    constructs = codebook.construct_ids
    k = len(constructs)
    shift = dict(settings.role_shift)
    weights = dict(settings.outcome_weights)
    roles_codes = list(case.sample.roles)
    roles = rng.choice(roles_codes, size=n, p=[case.sample.roles[r] for r in roles_codes])
    corr = np.full((k, k), settings.rho) + (1 - settings.rho) * np.eye(k)
    chol = np.linalg.cholesky(corr)
    z = rng.standard_normal((n, k)) @ chol.T
    base = np.array([mu[c] for c in constructs])
    role_shift = np.array([shift[r] for r in roles])
    eta = z + base + role_shift[:, None]
    w = np.array([weights.get(c, 0.0) for c in constructs])
    resid_sd = float(np.sqrt(1.0 - w @ corr @ w))
    eff = settings.outcome_intercept + role_shift * w.sum() + z @ w + resid_sd * rng.standard_normal(n)
    return _Latent(roles, eta, eff, resid_sd)


def _draw_answers(
    rng: np.random.Generator,
    codebook: Codebook,
    loadings: dict[str, float],
    latent: _Latent,
    settings: SimulationSettings,
    n: int,
) -> pd.DataFrame:
    """Item codes (as answered: reverse-keyed items mirrored) from the latent scores, item by item."""
    scores = {c: latent.eta[:, j] for j, c in enumerate(codebook.construct_ids)}
    scores[codebook.outcome.id] = latent.effectiveness
    answers = {}
    for construct in codebook.all_constructs:
        for item in construct.items:
            lam = loadings[item.id]
            xstar = lam * scores[construct.id] + np.sqrt(1 - lam**2) * rng.standard_normal(n)
            code = _cut(xstar, settings.thresholds)
            answers[item.id] = (codebook.scale.min + codebook.scale.max - code) if item.reverse else code
    return pd.DataFrame(answers).astype(float)


def _add_careless(
    rng: np.random.Generator, answers: pd.DataFrame, duration: np.ndarray, settings: SimulationSettings, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Straight-liners and speeders, drawn from distinct rows; changes ``answers`` and ``duration`` in place.

    Returns the careless rows and, sorted, the straight-lining and the speeding rows.
    """
    n_straight = round(settings.straightline_rate * n)
    n_speed = round(settings.speeding_rate * n)
    careless = rng.choice(n, size=n_straight + n_speed, replace=False)
    straight_rows, speed_rows = np.sort(careless[:n_straight]), np.sort(careless[n_straight:])
    for row in straight_rows:
        answers.iloc[row, :] = float(rng.integers(3, 6))
    for row in speed_rows:
        answers.iloc[row, :] = rng.integers(1, 6, size=answers.shape[1]).astype(float)
        duration[row] = int(rng.integers(40, 100))
    return careless, straight_rows, speed_rows


def _export_table(
    rng: np.random.Generator,
    codebook: Codebook,
    answers: pd.DataFrame,
    dont_know: np.ndarray,
    latent: _Latent,
    overall: np.ndarray,
    duration: np.ndarray,
    settings: SimulationSettings,
) -> pd.DataFrame:
    """The export's columns (codebook ids, Chinese labels): serial number, background, items, overall
    rating, open suggestion (about the respondent's weakest construct) and duration."""
    n = len(answers)
    constructs = codebook.construct_ids
    labels = decode(answers, codebook, lang="zh")
    labels = labels.mask(pd.DataFrame(dont_know, columns=labels.columns), "不清楚")
    demo = {d.id: d for d in codebook.demographics}
    role_label = {lvl.code: lvl.zh for lvl in demo["role"].levels}
    suggestions = []
    for row in range(n):
        if rng.random() < settings.open_answer_rate:
            weakest = constructs[int(np.argmin(latent.eta[row]))]
            suggestions.append(_SUGGESTIONS[weakest])
        else:
            suggestions.append("")
    raw = pd.DataFrame({codebook.id_column.name: np.arange(1, n + 1)})
    raw["role"] = [role_label[r] for r in latent.roles]
    for did in ("gender", "age", "education"):
        levels = demo[did].levels
        raw[did] = [levels[i].zh for i in rng.integers(0, len(levels), size=n)]
    raw = pd.concat([raw, labels.reset_index(drop=True)], axis=1)
    raw[codebook.overall.id] = [codebook.overall.anchors[c - 1].zh for c in overall]
    raw[codebook.open_question.id] = suggestions
    raw[codebook.duration_column.name] = duration
    return raw


def _truth(
    case: Case,
    codebook: Codebook,
    settings: SimulationSettings,
    *,
    n_rows: int,
    mu: dict[str, float],
    loadings: dict[str, float],
    resid_sd: float,
    drawn: dict,
) -> dict:
    """The truth file's content: the generator's parameters, what it drew and the expected construct means."""
    weights = dict(settings.outcome_weights)
    return {
        "synthetic": True,
        # names the module as it was called when the committed data were drawn, so that they reproduce
        "note": "SYNTHETIC DATA generated by emstudy.simulate; not the thesis's responses.",
        "case": case.id,
        "parameters": {
            "seed": settings.seed,
            "n_rows": n_rows,
            "n_respondents": case.sample.n,
            "role_shares": dict(case.sample.roles),
            "role_shift": dict(settings.role_shift),
            "latent_means": mu,
            "weaknesses": list(case.weaknesses),
            "construct_correlation": settings.rho,
            "loadings": loadings,
            "thresholds": list(settings.thresholds),
            "outcome_weights": {c: weights.get(c, 0.0) for c in codebook.construct_ids},
            "outcome_intercept": settings.outcome_intercept,
            "outcome_residual_sd": round(resid_sd, 6),
            "missing_rate": settings.missing_rate,
            "dont_know_rate": settings.dont_know_rate,
        },
        "drawn": drawn,
        "expected_construct_means": expected_construct_means(case, codebook, settings),
    }


def truth_file_name(case_id: str) -> str:
    """Name of a synthetic case's truth file, written beside its raw data.

    Examples
    --------
    >>> truth_file_name("yima")
    'yima.truth.json'
    """
    return f"{case_id}.truth.json"


def truth_json(truth: dict) -> bytes:
    """The truth file's bytes (sorted keys, UTF-8, newline-terminated) so reruns write the same bytes."""
    return (json.dumps(truth, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def raw_csv(raw: pd.DataFrame) -> bytes:
    """The raw export's bytes: UTF-8 with BOM (as survey platforms write for spreadsheet programs)."""
    return raw.to_csv(index=False, lineterminator="\n").encode("utf-8-sig")


def write_case(
    case: Case, codebook: Codebook, out_dir: Path, settings: SimulationSettings = SimulationSettings()
) -> list[Path]:
    """Simulate one case and write ``<case>.csv`` and ``<case>.truth.json`` atomically."""
    raw, truth = simulate_case(case, codebook, settings)
    csv_path = out_dir / f"{case.id}.csv"
    truth_path = out_dir / truth_file_name(case.id)
    atomic_write_bytes(csv_path, raw_csv(raw))
    atomic_write_bytes(truth_path, truth_json(truth))
    return [csv_path, truth_path]
