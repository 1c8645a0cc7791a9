"""Synthetic interviews: seeded, coded interview segments whose themes follow a case's weaknesses.

SYNTHETIC DATA. The theses' interview transcripts are not public; for each case whose case file lists
``interviews`` (who was interviewed), this module writes short Chinese interview segments coded by two
simulated coders, with the truth it drew beside them.

Model, per case:

* **Segments.** Each interviewee of the case file gives ``segments_per_interview`` segments (drawn uniformly
  within the range). A segment's theme is one code of the interview code book (``data/interview_codes.yml``),
  drawn with probabilities ``pi`` that follow the case's weaknesses: construct ``c`` has salience ``a_c``
  (``weakness_salience[rank]`` for the case's ``rank``-th weakness, 1 otherwise) and a problem share ``s_c``
  (``problem_share_weakness`` for a weakness, ``problem_share_other`` otherwise); a problem code ``k`` with
  constructs ``C_k`` weighs ``mean_{c in C_k} a_c s_c``, a strength code ``mean_{c in C_k} a_c (1 - s_c)``;
  ``pi`` is the weights normalised.
* **Text.** One of a few templates in the project's own words for the code's first construct and its polarity
  (a code of its own for the cross-construct codes), after an opener that fits the interviewee's survey role
  (``gov``/``ent``/``res``); a few segments mention a (synthetic) phone number, and every text passes
  through :func:`emstudy.survey.privacy.scrub_text` as open answers do, so the raw file holds ``[PHONE]``.
* **Coders.** Coder 1 codes the segment's theme. Coder 2 copies coder 1's code with probability
  ``copy_probability`` (``p``); otherwise draws from the confusion distribution
  ``q_i = (1 - nu) pi + nu N_i``, ``N_i`` uniform over the other codes that share a construct with coder 1's
  code ``i`` (``pi`` when there is none) and ``nu = neighbour_share``. The coders' joint distribution is
  ``P_ij = pi_i (p [i = j] + (1 - p) q_i(j))``, from which the truth file gives the population percent
  agreement ``po = sum_i P_ii``, Cohen's kappa ``(po - pe) / (1 - pe)`` with ``pe = sum_i P_i. P_.i``,
  Krippendorff's nominal alpha ``1 - (1 - po) / (1 - sum_i m_i^2)`` with ``m_i = (P_i. + P_.i) / 2`` (the
  limit for many units; the estimate's small-sample correction vanishes), and the same per code (present or
  absent on a segment).

Output: one row per segment x coder x code in the tidy format of :mod:`emstudy.survey.interviews`
(``case, source, segment_id, start, end, text, code, coder``; ``start``/``end`` are character offsets in the
source's transcript, its segments joined by newlines), and a truth dict with the parameters, the expected
agreement and what was drawn. ``emstudy simulate`` writes them as ``data/raw/<case>.interviews.csv`` and
``data/raw/<case>.interviews.truth.json``.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from emstudy.errors import EmstudyError
from emstudy.survey.cases import Case
from emstudy.survey.interviews import CODING_COLUMNS, InterviewCode
from emstudy.survey.privacy import scrub_text
from emstudy.survey.simulate import STUDY_SEED, raw_csv, truth_json

__all__ = [
    "InterviewSettings",
    "code_probabilities",
    "coder_joint",
    "expected_agreement",
    "draw_codings",
    "simulate_interviews",
    "interview_files",
    "interviews_file_name",
    "interviews_truth_file_name",
    "COLUMNS",
]

#: Columns written: the tidy table of :mod:`emstudy.survey.interviews` (the text itself, so no ``text_ref``).
COLUMNS = tuple(c for c in CODING_COLUMNS if c != "text_ref")

#: Templates per construct and polarity (the project's own wording; no ASCII commas or quotes).
_TEMPLATES: dict[tuple[str, str], tuple[str, ...]] = {
    ("plan", "problem"): (
        "预案写得很厚，但真出了事没人翻，基本停留在纸面上。",
        "预案好几年没修订了，和现在的风险对不上。",
        "各部门的预案各写各的，相互衔接不起来。",
    ),
    ("plan", "strength"): (
        "预案每年结合演练修订，本地主要风险都覆盖到了。",
        "上次处置就是按预案来的，流程比较清楚。",
        "乡镇和企业的预案跟区里的能对接上。",
    ),
    ("organisation", "problem"): (
        "一出事好几个部门都来了，到底谁说了算不清楚。",
        "部门之间互相推诿，协调起来很费劲。",
        "机构改革以后职责还没理顺，有些事没人管。",
    ),
    ("organisation", "strength"): (
        "指挥部一成立分工就很明确，各部门配合得不错。",
        "谁牵头谁配合事先都定好了，协调比较顺畅。",
        "街道和社区都清楚自己在指挥体系里的位置。",
    ),
    ("resources", "problem"): (
        "物资储备不够，真用起来才发现缺这缺那。",
        "应急经费没有固定保障，买装备都要临时打报告。",
        "东西是有，但调不过来，运到现场太慢。",
    ),
    ("resources", "strength"): (
        "仓库里的物资按清单储备，定期检查更新。",
        "经费有预算保障，物资调运也比较及时。",
        "这两年物资储备点建起来了，需要的时候能很快拉到。",
    ),
    ("teams", "problem"): (
        "应急办就两三个人，还要兼顾别的工作，忙不过来。",
        "救援队伍专业能力不够，装备也跟不上。",
        "基层工作人员大多没有相关专业背景。",
    ),
    ("teams", "strength"): (
        "专职救援队伍装备不错，人员也经过专业训练。",
        "企业的救援队和志愿者都纳入了统一调度。",
        "工作人员业务比较熟练，处置起来有经验。",
    ),
    ("training", "problem"): (
        "演练走过场，提前写好脚本照着念。",
        "居民基本不知道出了事该怎么办，宣传没有到位。",
        "干部培训很少，有也是听听讲座。",
    ),
    ("training", "strength"): (
        "每年都组织实战演练，居民参与得也多。",
        "应急知识宣传进社区进企业，大家的意识提高了。",
        "干部定期参加应急管理培训，效果不错。",
    ),
    ("rules", "problem"): (
        "制度是有，但落实不下去，出了问题也很少追责。",
        "地方法规跟不上，很多事情无章可循。",
        "对企业的安全监管不到位，检查流于形式。",
    ),
    ("rules", "strength"): (
        "责任清单很清楚，失职失责会被追究。",
        "规章制度比较健全，做事有依据。",
        "对企业的安全检查是动真格的。",
    ),
    ("warning", "problem"): (
        "预警信息发得晚，等收到的时候已经来不及了。",
        "风险监测点太少，很多隐患发现不了。",
        "预警短信只说了要注意，没说该怎么做。",
    ),
    ("warning", "strength"): (
        "监测预警比较及时，预警信息能够传达到每家每户。",
        "预警一发出来，网格员就逐户通知。",
        "隐患排查和监测做得比较细。",
    ),
    ("response", "problem"): (
        "事发以后最初几个小时比较乱，处置不够快。",
        "现场救援缺少统一安排，有点手忙脚乱。",
        "响应启动得慢，层层请示耽误了时间。",
    ),
    ("response", "strength"): (
        "接到报告以后很快就到了现场，处置得有条不紊。",
        "响应启动及时，救援力量很快到位。",
        "现场分工明确，转移群众很有秩序。",
    ),
    ("information", "problem"): (
        "信息发布不及时，群众只能听小道消息。",
        "网上的谣言没有人出来回应。",
        "发布的信息前后不一致，大家不知道该信哪个。",
    ),
    ("information", "strength"): (
        "官方每天按时发布信息，大家心里有底。",
        "信息公开比较透明，谣言很快就被澄清了。",
        "通过微信群和广播及时把情况告诉居民。",
    ),
    ("participation", "problem"): (
        "基本都是政府在干，社会组织和志愿者参与得少。",
        "居民觉得应急是政府的事，自己不太关心。",
        "企业和社会力量没有被动员起来。",
    ),
    ("participation", "strength"): (
        "志愿者和社会组织参与得很积极。",
        "居民主动帮忙，邻里之间互相照应。",
        "企业也出人出物，大家一起上。",
    ),
    ("recovery", "problem"): (
        "事情过去以后就不了了之，也没有总结经验教训。",
        "恢复重建比较慢，受影响的群众生活困难。",
        "心理疏导基本没有做。",
    ),
    ("recovery", "strength"): (
        "事后很快恢复了正常秩序，受灾群众得到了帮扶。",
        "每次事件以后都开会复盘，把问题写进整改清单。",
        "对受影响的群众有专门的心理疏导。",
    ),
}

#: Templates of codes that speak to several constructs at once.
_CODE_TEMPLATES: dict[str, tuple[str, ...]] = {
    "coordination_information_problem": (
        "部门之间信息不共享，同一个数据要报好几遍。",
        "我们掌握的情况别的部门不知道，协调的时候很被动。",
    ),
    "grassroots_capacity_problem": (
        "任务都压到社区，可社区既没有人也没有钱。",
        "乡镇的应急职责越来越多，人员和经费却跟不上。",
    ),
}

#: Openers by the interviewee's survey role (the codebook's role levels).
_OPENERS: dict[str, tuple[str, ...]] = {
    "gov": ("从我们工作的角度看，", "说实话，", "就我们这里来说，", ""),
    "ent": ("我们企业这边感觉，", "站在企业的角度，", "说实话，", ""),
    "res": ("作为老百姓，我觉得", "我们小区这边，", "说实话，", ""),
}


@dataclass(frozen=True)
class InterviewSettings:
    """Parameters of the interview generator shared by every case (the case file gives the interviewees)."""

    seed: int = STUDY_SEED
    copy_probability: float = 0.80
    neighbour_share: float = 0.60
    segments_per_interview: tuple[int, int] = (6, 10)
    weakness_salience: tuple[float, ...] = (4.0, 3.5, 3.0, 2.5)
    problem_share_weakness: float = 0.85
    problem_share_other: float = 0.35
    personal_data_rate: float = 0.04
    coders: tuple[str, str] = ("coder_1", "coder_2")

    def __post_init__(self) -> None:
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise EmstudyError(f"seed: expected a whole number from 0 upwards, got {self.seed!r}")
        for name in ("copy_probability", "neighbour_share", "problem_share_weakness", "problem_share_other"):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise EmstudyError(f"{name}: expected a probability in [0, 1], got {value!r}")
        lo, hi = self.segments_per_interview
        if not 1 <= lo <= hi:
            raise EmstudyError(f"segments_per_interview: expected (low, high) with 1 <= low <= high, got {(lo, hi)}")
        if len(set(self.coders)) != 2:
            raise EmstudyError(f"coders: expected two different coder names, got {self.coders!r}")


def _salience(construct: str, weaknesses: Sequence[str], settings: InterviewSettings) -> tuple[float, float]:
    """(salience a_c, problem share s_c) of a construct."""
    if construct in weaknesses:
        return settings.weakness_salience[list(weaknesses).index(construct)], settings.problem_share_weakness
    return 1.0, settings.problem_share_other


def code_probabilities(
    codes: Sequence[InterviewCode], weaknesses: Sequence[str], settings: InterviewSettings = InterviewSettings()
) -> np.ndarray:
    """Probability ``pi`` of each code as a segment's theme (module docstring: weaknesses draw problems).

    Examples
    --------
    >>> from types import SimpleNamespace as C
    >>> codes = [C(id="a", polarity="problem", constructs=["plan"]), C(id="b", polarity="strength",
    ...          constructs=["plan"]), C(id="c", polarity="problem", constructs=["rules"])]
    >>> code_probabilities(codes, ["plan"]).round(4).tolist()
    [0.7816, 0.1379, 0.0805]
    """
    if len(weaknesses) > len(settings.weakness_salience):
        raise EmstudyError(
            f"weaknesses: at most {len(settings.weakness_salience)} are supported, got {len(weaknesses)}"
        )
    weights = []
    for code in codes:
        if code.polarity not in ("problem", "strength"):
            raise EmstudyError(f"code {code.id!r}: polarity must be 'problem' or 'strength', got {code.polarity!r}")
        parts = [_salience(c, weaknesses, settings) for c in code.constructs]
        share = [s if code.polarity == "problem" else 1 - s for _, s in parts]
        weights.append(float(np.mean([a * s for (a, _), s in zip(parts, share, strict=True)])))
    w = np.asarray(weights)
    if len(w) == 0 or w.sum() <= 0:
        raise EmstudyError("codes: the code book gives no code a positive weight; list problem and strength codes")
    return w / w.sum()


def _confusion(codes: Sequence[InterviewCode], pi: np.ndarray, settings: InterviewSettings) -> np.ndarray:
    """Rows i: coder 2's code when not copying coder 1's code i, ``(1 - nu) pi + nu N_i``."""
    k = len(codes)
    q = np.empty((k, k))
    for i, code in enumerate(codes):
        near = [j for j, other in enumerate(codes) if j != i and set(other.constructs) & set(code.constructs)]
        neighbour = np.zeros(k)
        if near:
            neighbour[near] = 1.0 / len(near)
        else:
            neighbour = pi
        q[i] = (1 - settings.neighbour_share) * pi + settings.neighbour_share * neighbour
    return q


def coder_joint(
    codes: Sequence[InterviewCode], weaknesses: Sequence[str], settings: InterviewSettings = InterviewSettings()
) -> np.ndarray:
    """Joint distribution ``P[i, j]`` of coder 1's code ``i`` and coder 2's code ``j`` on a segment."""
    pi = code_probabilities(codes, weaknesses, settings)
    p = settings.copy_probability
    return pi[:, None] * (p * np.eye(len(pi)) + (1 - p) * _confusion(codes, pi, settings))


def _kappa(po: float, pe: float) -> float:
    return (po - pe) / (1 - pe) if pe < 1 else float("nan")


def expected_agreement(joint: np.ndarray, code_ids: Sequence[str]) -> dict:
    """Population agreement implied by a joint distribution of two coders' codes.

    Returns
    -------
    dict
        ``percent_agreement``, ``cohen_kappa``, ``krippendorff_alpha`` (nominal, the many-unit limit) and
        ``by_code``: for each code, its share among each coder's codes and the kappa and alpha of its
        presence on a segment.

    Examples
    --------
    >>> out = expected_agreement(np.array([[0.4, 0.1], [0.1, 0.4]]), ["a", "b"])
    >>> round(out["cohen_kappa"], 6), round(out["krippendorff_alpha"], 6), round(out["percent_agreement"], 6)
    (0.6, 0.6, 0.8)

    References
    ----------
    Cohen, J. (1960). A coefficient of agreement for nominal scales. *Educational and Psychological
    Measurement*, 20(1), 37-46.
    Krippendorff, K. (2011). Computing Krippendorff's alpha-reliability. Annenberg School for Communication,
    University of Pennsylvania. https://repository.upenn.edu/asc_papers/43
    """
    row, col = joint.sum(axis=1), joint.sum(axis=0)
    po = float(np.trace(joint))
    mean = (row + col) / 2
    by_code = {}
    for k, code in enumerate(code_ids):
        both, a, b = float(joint[k, k]), float(row[k]), float(col[k])
        po_k = 1 - a - b + 2 * both
        m = (a + b) / 2
        by_code[code] = {
            "share_coder_1": _round(a),
            "share_coder_2": _round(b),
            "cohen_kappa": _round(_kappa(po_k, a * b + (1 - a) * (1 - b))),
            "krippendorff_alpha": _round(1 - (1 - po_k) / (1 - m**2 - (1 - m) ** 2)),
        }
    return {
        "percent_agreement": _round(po),
        "cohen_kappa": _round(_kappa(po, float(row @ col))),
        "krippendorff_alpha": _round(1 - (1 - po) / (1 - float(mean @ mean))),
        "by_code": by_code,
    }


def _round(x: float) -> float:
    return float(f"{x:.8g}")


def draw_codings(
    codes: Sequence[InterviewCode],
    weaknesses: Sequence[str],
    *,
    n_segments: int,
    rng: np.random.Generator,
    settings: InterviewSettings = InterviewSettings(),
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw ``n_segments`` segments' themes and the two coders' codes.

    Returns
    -------
    coder_1, coder_2 : numpy.ndarray of int
        Positions in ``codes`` (coder 1's code is the segment's theme).
    copied : numpy.ndarray of bool
        Whether coder 2 copied coder 1 (coder 2 may still agree by chance without copying).
    """
    if isinstance(n_segments, bool) or not isinstance(n_segments, (int, np.integer)) or n_segments < 1:
        raise EmstudyError(f"n_segments: expected a whole number from 1 upwards, got {n_segments!r}")
    pi = code_probabilities(codes, weaknesses, settings)
    cum = np.cumsum(_confusion(codes, pi, settings), axis=1)
    coder_1 = rng.choice(len(pi), size=n_segments, p=pi)
    copied = rng.random(n_segments) < settings.copy_probability
    u = rng.random(n_segments)[:, None]
    other = np.minimum((u >= cum[coder_1]).sum(axis=1), len(pi) - 1)
    return coder_1, np.where(copied, coder_1, other), copied


def _segment_text(rng: np.random.Generator, code: InterviewCode, group: str, settings: InterviewSettings):
    """A segment's text (scrubbed) and whether a phone number was mentioned in it."""
    templates = _CODE_TEMPLATES.get(code.id) or _TEMPLATES.get((code.constructs[0], code.polarity))
    if templates is None:  # a construct of a case's own codebook: its code book label speaks for it
        templates = (f"关于{code.zh}这一点，我们体会很深。",)
    openers = _OPENERS.get(group, ("",))
    text = openers[int(rng.integers(len(openers)))] + templates[int(rng.integers(len(templates)))]
    phone = bool(rng.random() < settings.personal_data_rate)
    if phone:
        digits = "1" + "3589"[int(rng.integers(4))] + "".join(str(d) for d in rng.integers(0, 10, size=9))
        text += f"有事可以打我电话{digits}。"
    return scrub_text(text), phone


def simulate_interviews(
    case: Case, codes: Sequence[InterviewCode], settings: InterviewSettings = InterviewSettings()
) -> tuple[pd.DataFrame, dict]:
    """Draw one case's coded interview segments (SYNTHETIC).

    Parameters
    ----------
    case : Case
        A case whose file lists ``interviews`` (who was interviewed).
    codes : sequence of InterviewCode
        The interview code book's codes (id, polarity, constructs, zh label).
    settings : InterviewSettings

    Returns
    -------
    coded : DataFrame
        One row per segment x coder x code, columns :data:`COLUMNS`.
    truth : dict
        The generator's parameters, the agreement it implies and what it drew.
    """
    if case.interviews is None:
        raise EmstudyError(f"case {case.id}: the case file lists no interviews; nothing to simulate")
    rng = np.random.default_rng(np.random.SeedSequence([settings.seed, zlib.crc32(case.id.encode("utf-8")), 101]))
    people = [role for role in case.interviews.roles for _ in range(role.n)]
    lo, hi = settings.segments_per_interview
    sizes = rng.integers(lo, hi + 1, size=len(people))
    coder_1, coder_2, copied = draw_codings(
        codes, case.weaknesses, n_segments=int(sizes.sum()), rng=rng, settings=settings
    )
    rows, drawn_codes, phones, interviewees = [], {}, [], {}
    first = 0
    for number, (person, size) in enumerate(zip(people, sizes, strict=True), start=1):
        source = f"I{number:02d}"
        interviewees[source] = {"role": person.id, "zh": person.zh, "group": person.group, "segments": int(size)}
        offset = 0
        for k in range(first, first + int(size)):
            segment = f"{source}-S{k - first + 1:02d}"
            text, phone = _segment_text(rng, codes[coder_1[k]], person.group, settings)
            for coder, code in zip(settings.coders, (coder_1[k], coder_2[k]), strict=True):
                rows.append((case.id, source, segment, offset, offset + len(text), text, codes[code].id, coder))
            drawn_codes[segment] = codes[coder_1[k]].id
            if phone:
                phones.append(segment)
            offset += len(text) + 1
        first += int(size)
    coded = pd.DataFrame(rows, columns=list(COLUMNS))
    ids = [code.id for code in codes]
    segments = list(drawn_codes)
    drawn = {
        "interviewees": interviewees,
        "n_segments": len(segments),
        "theme": drawn_codes,
        "coder_2_not_copied": [s for s, c in zip(segments, copied, strict=True) if not c],
        "phone_scrubbed": phones,
    }
    return coded, _truth(case, codes, settings, ids=ids, drawn=drawn)


def _truth(case: Case, codes: Sequence[InterviewCode], settings: InterviewSettings, *, ids: list, drawn: dict):
    pi = code_probabilities(codes, case.weaknesses, settings)
    constructs = sorted({c for code in codes for c in code.constructs})
    problem = {}
    for construct in constructs:
        on = [k for k, code in enumerate(codes) if construct in code.constructs]
        bad = [k for k in on if codes[k].polarity == "problem"]
        problem[construct] = _round(float(pi[bad].sum() / pi[on].sum()))
    return {
        "synthetic": True,
        "note": "SYNTHETIC DATA generated by emstudy.survey.simulate_interviews; not the thesis's interviews.",
        "case": case.id,
        "parameters": {
            "seed": settings.seed,
            "coders": list(settings.coders),
            "copy_probability": settings.copy_probability,
            "neighbour_share": settings.neighbour_share,
            "segments_per_interview": list(settings.segments_per_interview),
            "weaknesses": list(case.weaknesses),
            "weakness_salience": list(settings.weakness_salience[: len(case.weaknesses)]),
            "problem_share_weakness": settings.problem_share_weakness,
            "problem_share_other": settings.problem_share_other,
            "personal_data_rate": settings.personal_data_rate,
            "code_probabilities": {code: _round(float(p)) for code, p in zip(ids, pi, strict=True)},
        },
        "expected": {
            **expected_agreement(coder_joint(codes, case.weaknesses, settings), ids),
            "problem_share_by_construct": problem,
        },
        "drawn": drawn,
    }


def interviews_file_name(case_id: str) -> str:
    """Name of a case's coded interview segments in ``data/raw``.

    Examples
    --------
    >>> interviews_file_name("wencheng")
    'wencheng.interviews.csv'
    """
    return f"{case_id}.interviews.csv"


def interviews_truth_file_name(case_id: str) -> str:
    """Name of the truth file written beside a case's synthetic interviews.

    Examples
    --------
    >>> interviews_truth_file_name("wencheng")
    'wencheng.interviews.truth.json'
    """
    return f"{case_id}.interviews.truth.json"


def interview_files(
    case: Case, codes: Sequence[InterviewCode] | None, settings: InterviewSettings = InterviewSettings()
) -> dict[str, bytes]:
    """The files ``emstudy simulate`` writes for a case's interviews, name -> bytes (none when it lists none).

    ``<case>.interviews.csv`` (UTF-8 with BOM, as the survey exports) and ``<case>.interviews.truth.json``
    (sorted keys), the same bytes on every run. ``codes`` is None when the project has no interview code book,
    which is an error only for a case that lists interviews.
    """
    if case.interviews is None:
        return {}
    if codes is None:
        raise EmstudyError(
            f"data/interview_codes.yml: file not found; case {case.id!r} lists interviews, and their simulated "
            "codings use the interview code book"
        )
    coded, truth = simulate_interviews(case, codes, settings)
    return {interviews_file_name(case.id): raw_csv(coded), interviews_truth_file_name(case.id): truth_json(truth)}
