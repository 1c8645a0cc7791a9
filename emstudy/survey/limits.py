"""What a small or unusual case cannot support, found before (``emstudy validate``) and during the run.

The steps analyse what the data allow and say what they left out; this module holds the rules, so that
``validate`` warns about exactly what the notebooks will report:

* an item that every kept respondent left unanswered, or answered the same way (zero variance), is left
  out of its scale's reliability and of the factor analyses (:func:`screen_items`);
* a scale left with one usable item has no reliability coefficient; a scale with two has the
  Spearman-Brown coefficient instead of alpha (Eisinga, te Grotenhuis & Pelzer 2013);
  a scale needs at least :data:`MIN_COMPLETE` respondents who answered all its usable items, and every
  usable item must vary among them (an item may vary overall and still have one answer among the complete
  respondents: the listwise alpha and item statistics are then undefined, and the scale is reported as not
  computed, naming the item);
* the factor analyses (parallel analysis, EFA, CFA) need more respondents than items
  (:func:`factor_analysis_limit`), and leave out an item whose answers duplicate an earlier item's (correlation
  1 or -1: the correlation matrix is then singular; :func:`duplicate_items`);
* the role comparison needs at least two roles; the regression models need more complete respondents
  than coefficients (:func:`model_limit`).

Each limitation is a :class:`Limitation`, said in English (``en``: notebooks, results, ``emstudy validate``'s
warnings) and in Chinese (``zh``: the Chinese report); results JSON hold them as ``{"en": ..., "zh": ...}``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

__all__ = [
    "MIN_COMPLETE",
    "Limitation",
    "ScaleScreen",
    "screen_items",
    "screen_scales",
    "duplicate_items",
    "factor_analysis_limit",
    "model_limit",
    "role_limit",
    "model_role_limit",
    "case_limitations",
    "group_exclusions",
    "case_exclusions",
    "model_exclusions",
    "heywood_limit",
]

#: Respondents who must have answered every usable item of a scale for its reliability to be computed
#: (the least :func:`emstudy.stats.reliability.cronbach_alpha` accepts).
MIN_COMPLETE = 3


@dataclass(frozen=True)
class Limitation:
    """One thing the data could not support, in English and in Chinese.

    Attributes
    ----------
    en, zh : str
        The same sentence (or reason) in both languages, without final full stop.

    Examples
    --------
    >>> lim = Limitation("role comparison skipped", "未做角色比较")
    >>> str(lim), lim.to_dict()
    ('role comparison skipped', {'en': 'role comparison skipped', 'zh': '未做角色比较'})
    """

    en: str
    zh: str

    def __str__(self) -> str:
        return self.en

    def to_dict(self) -> dict[str, str]:
        """JSON-ready ``{"en": ..., "zh": ...}``."""
        return {"en": self.en, "zh": self.zh}


def _item_reasons(items: pd.DataFrame) -> dict[str, Limitation]:
    out: dict[str, Limitation] = {}
    for name in items.columns:
        answered = pd.to_numeric(items[name], errors="coerce").dropna()
        if answered.empty:
            out[str(name)] = Limitation("every answer is missing", "所有回答均缺失")
        elif answered.nunique() == 1:
            v = f"{answered.iloc[0]:g}"
            out[str(name)] = Limitation(f"every answer is {v} (zero variance)", f"所有回答均为{v}（方差为零）")
    return out


def screen_items(items: pd.DataFrame) -> dict[str, str]:
    """Items that cannot enter a scale or a factor analysis, with the reason (in English).

    Parameters
    ----------
    items : DataFrame
        Respondents x items (numeric, NaN for missing).

    Returns
    -------
    dict of str to str
        ``{item: reason}`` in column order, e.g. ``{"PLN2": "every answer is missing"}``.

    Examples
    --------
    >>> screen_items(pd.DataFrame({"A": [1.0, 2.0], "B": [3.0, 3.0], "C": [None, None]}))
    {'B': 'every answer is 3 (zero variance)', 'C': 'every answer is missing'}
    """
    return {name: why.en for name, why in _item_reasons(items).items()}


@dataclass(frozen=True)
class ScaleScreen:
    """The scales as they can be analysed.

    Attributes
    ----------
    scales : dict of str to list of str
        Every scale with the items it keeps (excluded items removed; possibly fewer than two items).
    excluded_items : dict of str to Limitation
        Items left out, with the reason.
    not_computed : dict of str to Limitation
        Scales whose reliability cannot be computed, with the reason.
    notes : tuple of Limitation
        One sentence per excluded item, per scale not computed and per two-item scale.
    """

    scales: dict[str, list[str]]
    excluded_items: dict[str, Limitation] = field(default_factory=dict)
    not_computed: dict[str, Limitation] = field(default_factory=dict)
    notes: tuple[Limitation, ...] = ()

    def computable(self) -> dict[str, list[str]]:
        """The scales whose reliability can be computed, with their usable items."""
        return {s: cols for s, cols in self.scales.items() if s not in self.not_computed}


def _not_computed(use: list[str], complete: pd.DataFrame, min_complete: int) -> Limitation | None:
    """Why a scale's reliability cannot be computed from its usable items ``use``, given the respondents who
    answered all of them (``complete``), or None."""
    listed, n_complete = ", ".join(use), len(complete)
    if len(use) < 2:
        return Limitation(
            f"only {len(use)} usable item(s) ({listed or 'none'})", f"仅有{len(use)}个可用题项（{listed or '无'}）"
        )
    if n_complete < min_complete:
        return Limitation(
            f"only {n_complete} respondent(s) answered all of {listed}; at least {min_complete} needed",
            f"仅{n_complete}名受访者答完了{listed}，至少需要{min_complete}名",
        )
    # an item that varies overall may still have one answer among the complete respondents: the listwise
    # alpha and item statistics are then undefined (zero variance)
    constant = [c for c in use if pd.to_numeric(complete[c], errors="coerce").nunique() == 1]
    if constant:
        i, v = constant[0], f"{pd.to_numeric(complete[constant[0]]).iloc[0]:g}"
        return Limitation(
            f"item {i} has a single answer ({v}) among the {n_complete} respondents who answered all of {listed}; "
            f"more complete answers are needed, or leave {i} out of the scale in the codebook",
            f"题项{i}在答完{listed}的{n_complete}名受访者中只有一种回答（{v}），需要更多完整作答，或在编码簿中将{i}移出该量表",
        )
    return None


def screen_scales(
    items: pd.DataFrame, scales: Mapping[str, Sequence[str]], *, min_complete: int = MIN_COMPLETE
) -> ScaleScreen:
    """Leave out unusable items and say which scales cannot have a reliability coefficient.

    Parameters
    ----------
    items : DataFrame
        Respondents x items.
    scales : mapping of str to sequence of str
        Construct -> its items.
    min_complete : int
        Respondents who must have answered all usable items of a scale.

    Returns
    -------
    ScaleScreen

    Examples
    --------
    >>> x = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [2.0, 2, 3, 5], "c": [3.0, 3, 3, 3]})
    >>> s = screen_scales(x, {"F": ["a", "b", "c"]})
    >>> s.scales, s.not_computed
    ({'F': ['a', 'b']}, {})
    >>> s.notes[0].zh
    '题项c未纳入所属量表和因子分析：所有回答均为3（方差为零）'
    """
    bad = _item_reasons(items[[c for cols in scales.values() for c in cols]])
    kept: dict[str, list[str]] = {}
    not_computed: dict[str, Limitation] = {}
    notes = [
        Limitation(
            f"item {i} left out of its scale and of the factor analyses: {why.en}",
            f"题项{i}未纳入所属量表和因子分析：{why.zh}",
        )
        for i, why in bad.items()
    ]
    for name, cols in scales.items():
        use = [c for c in cols if c not in bad]
        kept[str(name)] = use
        complete = items.loc[items[use].notna().all(axis=1), use] if use else items.iloc[:0, :0]
        why = _not_computed(use, complete, min_complete)
        if why is not None:
            not_computed[str(name)] = why
    notes += [
        Limitation(f"scale {s}: reliability not computed: {why.en}", f"量表{s}未计算信度：{why.zh}")
        for s, why in not_computed.items()
    ]
    notes += [
        Limitation(
            f"scale {s}: two usable items; reliability is the Spearman-Brown coefficient (Eisinga et al. 2013)",
            f"量表{s}仅有两个可用题项，信度采用Spearman-Brown系数（Eisinga等，2013）",
        )
        for s, cols in kept.items()
        if len(cols) == 2 and s not in not_computed
    ]
    return ScaleScreen(kept, bad, not_computed, tuple(notes))


def duplicate_items(items: pd.DataFrame, *, tol: float = 1e-10) -> dict[str, Limitation]:
    """Items whose answers duplicate an earlier column's, up to a linear change (correlation 1 or -1 among the
    respondents who answered both): a factor analysis leaves them out, since they make the item correlation
    matrix singular. Reliability keeps them.

    Parameters
    ----------
    items : DataFrame
        Respondents x items (numeric, NaN for missing).
    tol : float
        How close to 1 the absolute correlation must be.

    Returns
    -------
    dict of str to Limitation
        ``{later item: reason}``, naming the earlier item it duplicates.

    Examples
    --------
    >>> x = pd.DataFrame({"A": [1.0, 2, 3, 5], "B": [2.0, 2, 4, 1], "C": [5.0, 4, 3, 1]})
    >>> {k: v.en for k, v in duplicate_items(x).items()}
    {'C': 'its answers duplicate those of A (correlation -1 among the 4 respondents who answered both)'}
    """
    corr = items.astype(float).corr(min_periods=3)
    both = items.notna().astype(int)
    n_both = both.T @ both
    names = [str(c) for c in items.columns]
    out: dict[str, Limitation] = {}
    for j in range(1, len(names)):
        for i in range(j):
            r = corr.iat[i, j]
            if names[i] not in out and not pd.isna(r) and abs(r) >= 1 - tol:
                sign, n = ("1" if r > 0 else "-1"), int(n_both.iat[i, j])
                out[names[j]] = Limitation(
                    f"its answers duplicate those of {names[i]} (correlation {sign} among the {n} respondents who "
                    "answered both)",
                    f"其回答与{names[i]}完全相关（{n}名两题都作答的受访者中相关系数为{sign}）",
                )
                break
    return out


def factor_analysis_limit(n: int, n_items: int) -> Limitation | None:
    """Why parallel analysis, EFA and CFA cannot run on ``n`` respondents and ``n_items`` items, or None.

    Examples
    --------
    >>> print(factor_analysis_limit(4, 48))
    factor analyses (parallel analysis, EFA, CFA) not run: 4 respondents for 48 items; more respondents than items are needed
    >>> factor_analysis_limit(4, 48).zh
    '未做因子分析（平行分析、探索性因子分析、验证性因子分析）：仅4名受访者、48个题项，受访者人数须多于题项数'
    """
    if n > n_items:
        return None
    return Limitation(
        f"factor analyses (parallel analysis, EFA, CFA) not run: {n} respondents for {n_items} items; "
        "more respondents than items are needed",
        f"未做因子分析（平行分析、探索性因子分析、验证性因子分析）：仅{n}名受访者、{n_items}个题项，受访者人数须多于题项数",
    )


def model_limit(
    n_complete: int, n_coefficients: int, *, what: str = "the drivers models", what_zh: str = "驱动因素回归模型"
) -> Limitation | None:
    """Why a regression with ``n_coefficients`` coefficients cannot be fitted to ``n_complete`` respondents.

    Parameters
    ----------
    n_complete, n_coefficients : int
        Respondents with every variable of the model, and the model's coefficients (intercept included).
    what, what_zh : str
        The model, in English and Chinese.

    Examples
    --------
    >>> print(model_limit(4, 12))
    the drivers models not fitted: 4 complete respondents for 12 coefficients; more respondents than coefficients are needed
    >>> model_limit(4, 12).zh
    '未拟合驱动因素回归模型：仅4名受访者作答完整、模型有12个系数，受访者人数须多于系数个数'
    """
    if n_complete > n_coefficients:
        return None
    return Limitation(
        f"{what} not fitted: {n_complete} complete respondents for {n_coefficients} coefficients; "
        "more respondents than coefficients are needed",
        f"未拟合{what_zh}：仅{n_complete}名受访者作答完整、模型有{n_coefficients}个系数，受访者人数须多于系数个数",
    )


def _role_names(codes: Sequence[str], labels: Mapping[str, str] | None, *, sep: str) -> str:
    return sep.join(str((labels or {}).get(c, c)) for c in codes)


def role_limit(roles: pd.Series, *, labels_zh: Mapping[str, str] | None = None) -> Limitation | None:
    """Why the roles cannot be compared (fewer than two roles, or a role with fewer than two respondents).

    Parameters
    ----------
    roles : Series
        The respondents' role codes.
    labels_zh : mapping of str to str, optional
        Role code -> Chinese name (the codebook's levels); the code itself when absent.

    Examples
    --------
    >>> lim = role_limit(pd.Series(["res", "res", "res"]), labels_zh={"res": "居民"})
    >>> lim.en, lim.zh
    ('role comparison skipped: only one role (res) among the respondents', '受访者仅有一类身份（居民），未做身份比较')
    """
    counts = roles.dropna().astype(str).value_counts()
    if len(counts) < 2:
        return Limitation(
            f"role comparison skipped: only one role ({_role_names(list(counts.index), None, sep=', ') or 'none'}) "
            "among the respondents",
            f"受访者仅有一类身份（{_role_names(list(counts.index), labels_zh, sep='、') or '无'}），未做身份比较",
        )
    small = sorted(counts.index[counts < 2])
    if small:
        return Limitation(
            f"role comparison skipped: role(s) {', '.join(small)} have fewer than two respondents",
            f"身份为{_role_names(small, labels_zh, sep='、')}的受访者不足两人，未做身份比较",
        )
    return None


def model_role_limit(roles: pd.Series, *, labels_zh: Mapping[str, str] | None = None) -> Limitation | None:
    """Why role is left out of the drivers model: fewer than two roles among the complete respondents.

    Examples
    --------
    >>> model_role_limit(pd.Series(["res", "res"]), labels_zh={"res": "居民"}).zh
    '作答完整的受访者仅有一类身份（居民），回归模型未纳入身份'
    """
    codes = sorted(roles.dropna().astype(str).unique())
    if len(codes) >= 2:
        return None
    return Limitation(
        f"role left out of the drivers model: only one role ({', '.join(codes) or 'none'}) among the complete "
        "respondents",
        f"作答完整的受访者仅有一类身份（{_role_names(codes, labels_zh, sep='、') or '无'}），回归模型未纳入身份",
    )


def case_limitations(
    items: pd.DataFrame, roles: pd.Series, scales: Mapping[str, Sequence[str]], *, n_predictors: int
) -> list[Limitation]:
    """Everything :func:`screen_scales`, :func:`factor_analysis_limit`, :func:`role_limit` and
    :func:`model_limit` find for one case's kept respondents (what ``emstudy validate`` warns about).

    Parameters
    ----------
    items : DataFrame
        Kept respondents x items (reverse-keyed items reversed or not: only variance and missingness count).
    roles : Series
        The kept respondents' roles.
    scales : mapping
        Construct -> items (outcome included).
    n_predictors : int
        Construct scores in the drivers model (without intercept and role).
    """
    screen = screen_scales(items, scales)
    notes = list(screen.notes)
    usable = [c for c in items.columns if c not in screen.excluded_items]
    duplicates = duplicate_items(items[usable])
    notes += [
        Limitation(f"item {i} left out of the factor analyses: {why.en}", f"题项{i}未纳入因子分析：{why.zh}")
        for i, why in duplicates.items()
    ]
    fa = factor_analysis_limit(len(items), len(usable) - len(duplicates))
    role = role_limit(roles)
    n_roles = 0 if role else int(roles.dropna().nunique())
    answered = [items[list(cols)].notna().any(axis=1) for cols in scales.values()]
    scored = int(pd.concat(answered, axis=1).all(axis=1).sum()) if answered else 0  # every construct score
    model = model_limit(scored, n_predictors + 1 + max(n_roles - 1, 0))
    notes += [m for m in (fa, role, model) if m]
    return notes


def group_exclusions(items_by_group: Mapping[str, pd.DataFrame], observed: Sequence[str]) -> dict[str, Limitation]:
    """Groups (cases) that cannot enter a multi-group model of the ``observed`` items, with the reason: an
    item all missing or of zero variance in the group, or no more respondents than items.

    Examples
    --------
    >>> x = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [2.0, 3, 3, 5]})
    >>> out = group_exclusions({"ok": x, "small": x.head(2)}, ["a", "b"])
    >>> list(out), out["small"].en, out["small"].zh
    (['small'], '2 respondents for 2 items', '仅2名受访者、2个题项')
    """
    out: dict[str, Limitation] = {}
    for group, items in items_by_group.items():
        bad = _item_reasons(items[list(observed)])
        if bad:
            out[str(group)] = Limitation(
                "; ".join(f"item {i}: {why.en}" for i, why in bad.items()),
                "；".join(f"题项{i}：{why.zh}" for i, why in bad.items()),
            )
        elif len(items) <= len(observed):
            out[str(group)] = Limitation(
                f"{len(items)} respondents for {len(observed)} items", f"仅{len(items)}名受访者、{len(observed)}个题项"
            )
    return out


def case_exclusions(excluded: Mapping[str, Limitation]) -> list[dict[str, str]]:
    """The cases left out of the cross-case invariance model (:func:`group_exclusions`), JSON-ready.

    Examples
    --------
    >>> case_exclusions({"x": Limitation("2 respondents for 2 items", "仅2名受访者、2个题项")})[0]["zh"]
    '案例x未纳入跨案例测量等值性模型：仅2名受访者、2个题项'
    """
    return [
        Limitation(f"case {c} left out: {why.en}", f"案例{c}未纳入跨案例测量等值性模型：{why.zh}").to_dict()
        for c, why in excluded.items()
    ]


def model_exclusions(screen: ScaleScreen, modelled: Mapping[str, Sequence[str]]) -> list[Limitation]:
    """Items left out of a case's factor model and constructs not ``modelled`` (fewer than two usable items).

    Examples
    --------
    >>> x = pd.DataFrame({"a": [1.0, 2, 3], "b": [2.0, 2, 3], "c": [3.0, 3, 3]})
    >>> [m.zh for m in model_exclusions(screen_scales(x, {"F": ["a", "b"], "G": ["c"]}), {"F": ["a", "b"]})]
    ['题项c未纳入模型：所有回答均为3（方差为零）', '构念G可用题项不足两个，未纳入模型']
    """
    out = [
        Limitation(f"item {i} left out: {why.en}", f"题项{i}未纳入模型：{why.zh}")
        for i, why in screen.excluded_items.items()
    ]
    return out + [
        Limitation(
            f"construct {c} left out of the model: fewer than two usable items", f"构念{c}可用题项不足两个，未纳入模型"
        )
        for c in screen.scales
        if c not in modelled
    ]


def heywood_limit(construct: str) -> Limitation:
    """A standardized loading of ``construct`` beyond 1 in the CFA: its CR and AVE are not computed.

    Examples
    --------
    >>> heywood_limit("plan").zh
    '构念plan有标准化载荷大于1（Heywood个案），未计算组合信度与平均方差抽取量'
    """
    return Limitation(
        f"construct {construct}: a standardized loading exceeds 1 (Heywood case); CR and AVE not computed",
        f"构念{construct}有标准化载荷大于1（Heywood个案），未计算组合信度与平均方差抽取量",
    )
