"""``emstudy plan``: Monte Carlo power and sample size for a repeat survey, on Dask (issue 16).

The command's arguments arrive here as text; this module turns them into a population
(:mod:`emstudy.planning.population`), an analysis (:mod:`emstudy.planning.analyses`) and a grid of sample
sizes, runs :func:`emstudy.planning.engine.run_power` on a local Dask cluster (or the cluster at
``--scheduler``), and writes ``power.csv`` and ``power.png`` only once every replication has finished.

Populations
-----------
``--case ID`` with ``--population designed`` (the default for a synthetic case: ``data/raw/<ID>.truth.json``
lies beside its data) draws from the seeded generator the synthetic study was drawn from, item by item and
encoded the way notebook 01 encodes; the other places are drawn at their designed sizes from their own
streams. ``--population fitted`` (the default for a case from a survey file) draws construct scores from a
multivariate normal per place with the means, covariances and missing rates of the committed
``analysis/<case>/results/encoded.csv`` of every case. ``--model FILE`` reads a lavaan-syntax model with
population values (``f =~ 0.7*x1 + ...``); the analysis fits the model without its values, and a term may
carry a value and a label (``m ~ 0.4*a*x``: the population's value, the label an ``ind := a*b`` uses).

Analyses (``--analysis``)
-------------------------
``below:C`` the study's weakness verdict for construct C of the place against the other places (Welch
tests against the others pooled, Holm over every construct, as notebook 05; the table keeps C); ``welch:C``
one Welch test of C against the other places pooled; ``driver:C`` the HC3 OLS coefficient of C among the
drivers of perceived effectiveness (notebook 04's model; with ``--model``, the regression in the syntax
whose right-hand side names C); ``cfa`` RMSEA close and not-close fit and the precision of the loadings;
``invariance:LEVEL`` rejection of a measurement-invariance step; ``indirect:LABEL`` a ``:=`` effect of the
model.

References
----------
Muthen, L. K., & Muthen, B. O. (2002). How to use a Monte Carlo study to decide on sample size and
determine power. Structural Equation Modeling, 9(4), 599-620.
"""

from __future__ import annotations

import re
import signal
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from emstudy.errors import EmstudyError
from emstudy.fileio import atomic_write_bytes
from emstudy.planning.result import PowerTable
from emstudy.project import Project
from emstudy.steps.planning import power_figure_png
from emstudy.survey.cases import check_case_id

__all__ = ["PlanRequest", "PlanResult", "parse_ns", "parse_request", "run_plan", "report_lines"]

POWER_TABLE = "power.csv"
POWER_FIGURE = "power.png"
OUTCOME = "effectiveness"
CASE_COLUMN = "case"
_ANALYSES = ("below", "welch", "driver", "cfa", "invariance", "indirect")
_NEEDS_PLACES = ("below", "welch")
SYNCHRONOUS = "synchronous"  # --scheduler synchronous: every replication in this process (no Dask)


@dataclass(frozen=True)
class PlanRequest:
    """What ``emstudy plan`` was asked, checked (see :func:`parse_request`)."""

    case: str | None
    population: str | None
    model: Path | None
    analysis: str
    ns: tuple[int, ...]
    replications: int
    seed: int
    missing_rate: float | None
    careless_rate: float | None
    power: float
    scheduler: str | None
    workers: int | None
    out: Path

    @property
    def kind(self) -> str:
        """The analysis's kind: the part of ``--analysis`` before the colon."""
        return self.analysis.split(":", 1)[0]

    @property
    def argument(self) -> str:
        """The part of ``--analysis`` after the colon ('' for ``cfa``)."""
        return self.analysis.split(":", 1)[1] if ":" in self.analysis else ""


@dataclass(frozen=True)
class PlanResult:
    """A finished plan: the power table, where it was written, and whether the population is synthetic."""

    request: PlanRequest
    table: PowerTable
    frame: pd.DataFrame
    smallest: dict[str, int | None]
    written: tuple[Path, ...]
    synthetic: bool
    population_label: str
    errors: tuple[str, ...] = field(default=())
    notes: tuple[str, ...] = field(default=())


# -- checking the command's arguments ----------------------------------------------------------------------
def _int(text: str | int, option: str, *, low: int, example: str) -> int:
    try:
        value = int(str(text).strip())
    except ValueError:
        raise EmstudyError(f"{option} {text}: not a whole number; give e.g. {option} {example}") from None
    if value < low:
        raise EmstudyError(f"{option} {text}: must be at least {low}; give e.g. {option} {example}")
    return value


def _rate(text: str | None, option: str, *, upper: float = 1.0, example: str = "0.02", zero: bool = True):
    """A proportion in [0, upper) (``zero`` False: in (0, upper)), or None when the option was not given."""
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise EmstudyError(f"{option} {text}: not a number; give a proportion, e.g. {option} {example}") from None
    if not (0.0 <= value < upper if zero else 0.0 < value < upper):
        where = f"[0, {upper:g})" if zero else f"(0, {upper:g})"
        raise EmstudyError(f"{option} {text}: must lie in {where}; give a proportion, e.g. {option} {example}")
    return value


def parse_ns(text: str) -> tuple[int, ...]:
    """``"100,200,400"`` -> ``(100, 200, 400)``: distinct whole numbers from 10, in increasing order.

    Examples
    --------
    >>> parse_ns("400, 100,200")
    (100, 200, 400)

    Raises
    ------
    EmstudyError
        Naming ``--n`` and the entry that is wrong.
    """
    parts = [p.strip() for p in str(text).split(",")]
    if not parts or any(p == "" for p in parts):
        raise EmstudyError(f"--n {text}: give sample sizes separated by commas, e.g. --n 100,200,400")
    bad = [p for p in parts if not p.isdigit() or int(p) < 10]
    if bad:
        raise EmstudyError(f"--n {text}: {bad[0]!r} is not a whole number from 10; give e.g. --n 100,200,400")
    ns = [int(p) for p in parts]
    if len(set(ns)) != len(ns):
        raise EmstudyError(f"--n {text}: a sample size is repeated; give each once, e.g. --n 100,200,400")
    return tuple(sorted(ns))


def _check_analysis(text: str) -> str:
    kind, _, argument = str(text).partition(":")
    if kind not in _ANALYSES:
        raise EmstudyError(
            f"--analysis {text}: unknown analysis {kind!r}; use one of below:CONSTRUCT, welch:CONSTRUCT, "
            "driver:CONSTRUCT, cfa, invariance:LEVEL, indirect:LABEL"
        )
    if kind == "cfa" and argument:
        raise EmstudyError(f"--analysis {text}: cfa takes no argument; use --analysis cfa")
    if kind != "cfa" and not argument:
        raise EmstudyError(f"--analysis {text}: {kind} needs an argument after the colon, e.g. --analysis {kind}:X")
    return text


def parse_request(project: Project, **options) -> PlanRequest:
    """Check the options of ``emstudy plan`` (as the command's text) and return the request.

    Every problem raises :class:`~emstudy.errors.EmstudyError` with one line naming the option.
    """
    case, model, population = options.get("case"), options.get("model"), options.get("population")
    if (case is None) == (model is None):
        raise EmstudyError("--case/--model: give exactly one population, --case ID or --model FILE.lav")
    if case is not None:
        project.case(check_case_id(case))  # names the known cases when unknown
    if population is not None and population not in ("designed", "fitted"):
        raise EmstudyError(f"--population {population}: use designed or fitted")
    if population is not None and model is not None:
        raise EmstudyError("--population: applies to --case; a --model's population is the model itself")
    model_path = Path(model) if model is not None else None
    if model_path is not None and not model_path.is_file():
        raise EmstudyError(f"--model {model}: no such file; give a lavaan-syntax model with population values")
    analysis = _check_analysis(options.get("analysis") or "")
    scheduler, workers = options.get("scheduler"), options.get("workers")
    workers = None if workers is None else _int(workers, "--workers", low=1, example="2")
    if scheduler is not None and workers is not None:
        raise EmstudyError("--workers: sizes the local cluster; an existing --scheduler runs on its own workers")
    if scheduler not in (None, SYNCHRONOUS) and not re.match(r"^[a-z]+://\S+:\d+$", scheduler):
        raise EmstudyError(
            f"--scheduler {scheduler}: expected a Dask scheduler address, e.g. tcp://127.0.0.1:8786 "
            f"(or {SYNCHRONOUS} to run in this process)"
        )
    power = _rate(options.get("power", "0.8"), "--power", example="0.8", zero=False)
    request = PlanRequest(
        case=case,
        population=population,
        model=model_path,
        analysis=analysis,
        ns=parse_ns(options.get("n") or ""),
        replications=_int(options.get("replications", "1000"), "--replications", low=2, example="1000"),
        seed=_int(options.get("seed", "20190719"), "--seed", low=0, example="20190719"),
        missing_rate=_rate(options.get("missing_rate"), "--missing-rate", upper=0.5),
        careless_rate=_rate(options.get("careless_rate"), "--careless-rate", upper=0.5),
        power=power,
        scheduler=scheduler,
        workers=workers,
        out=Path(options.get("out") or _default_out(project, case, model_path, analysis)),
    )
    if request.out.exists() and not request.out.is_dir():
        raise EmstudyError(f"--out {request.out}: is a file; give a folder (it is created when the plan is done)")
    return request


def _default_out(project: Project, case: str | None, model: Path | None, analysis: str) -> Path:
    stem = case if case is not None else model.stem
    name = re.sub(r"[^A-Za-z0-9_-]+", "_", f"{stem}_{analysis}").strip("_")
    return project.scratch_dir / "plans" / name


# -- population and analysis ------------------------------------------------------------------------------
def _no_rates(request: PlanRequest, why: str) -> None:
    for option, value in (("--missing-rate", request.missing_rate), ("--careless-rate", request.careless_rate)):
        if value is not None:
            raise EmstudyError(f"{option}: {why}; leave it out, or plan on --case ID --population designed")


def _kind(project: Project, request: PlanRequest) -> str:
    """``designed`` or ``fitted``: ``--population``, else designed for a synthetic case."""
    synthetic = project.is_synthetic(request.case)
    kind = request.population or ("designed" if synthetic else "fitted")
    if kind == "designed" and not synthetic:
        raise EmstudyError(
            f"--population designed: case {request.case} has no {project.truth_path(request.case).name} (its "
            "data come from a survey, not the generator); use --population fitted"
        )
    return kind


def _population(project: Project, request: PlanRequest) -> tuple[object, bool, str]:
    """The population, whether it is synthetic, and a label for the printout and the figure."""
    from emstudy.planning.population import ModelPopulation

    if request.model is not None:
        _no_rates(request, "applies to a case's generator, not to a --model")
        try:
            return ModelPopulation(_population_syntax(_syntax(request))), False, f"model {request.model.name}"
        except (EmstudyError, ValueError) as exc:
            raise EmstudyError(f"--model {request.model}: {exc}") from None
    case, synthetic = request.case, project.is_synthetic(request.case)
    if _kind(project, request) == "designed":
        return _designed(project, request), True, f"case {case}, the synthetic generator as designed"
    _no_rates(request, "the fitted population draws construct scores with each place's observed missingness")
    return _fitted(project, request), synthetic, f"case {case}, construct scores as fitted to the data"


def _syntax(request: PlanRequest) -> str:
    try:
        return request.model.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise EmstudyError(f"--model {request.model}: cannot be read ({exc}); give a UTF-8 text file") from None


def _designed(project: Project, request: PlanRequest) -> object:
    """The generator as designed: the place alone, beside the other synthetic places, or (invariance) the
    place and each other synthetic place as groups of n each."""
    from emstudy.planning.population import CasePopulation, MultiGroupPopulation, PlacesPopulation

    codebook = project.codebook()
    rates = {"missing_rate": request.missing_rate, "careless_rate": request.careless_rate}
    if request.kind not in (*_NEEDS_PLACES, "invariance"):
        return CasePopulation.from_case(project.case(request.case, codebook), codebook, **rates)
    ids = [c for c in project.case_ids() if c == request.case or project.is_synthetic(c)]
    cases = [project.case(c, codebook) for c in ids]
    if request.kind != "invariance":
        return PlacesPopulation.from_cases(cases, codebook, place=request.case, case_col=CASE_COLUMN, **rates)
    pops = tuple(CasePopulation.from_case(c, codebook, **rates) for c in cases)
    return MultiGroupPopulation(pops, group_col=CASE_COLUMN, labels=tuple(ids))


def _fitted(project: Project, request: PlanRequest) -> object:
    """Construct scores as fitted: every place beside the place (below, welch), else the place alone."""
    from emstudy.planning.population import ScorePopulation
    from emstudy.steps.context import load_all

    try:
        scores = load_all(project.root).scores
    except ValueError as exc:  # fewer than two cases
        raise EmstudyError(f"--population fitted: {exc}") from None
    columns = [*project.codebook().construct_ids, OUTCOME]
    if request.kind not in _NEEDS_PLACES:  # one place's own data
        scores = scores[scores[CASE_COLUMN].astype(str) == request.case]
        scores = scores.assign(**{CASE_COLUMN: scores[CASE_COLUMN].astype(str)})
    return ScorePopulation.from_scores(scores, case_col=CASE_COLUMN, columns=columns, place=request.case)


def _construct(project: Project, request: PlanRequest) -> str:
    constructs = project.codebook().construct_ids
    if request.argument not in constructs:
        raise EmstudyError(
            f"--analysis {request.analysis}: {request.argument!r} is not a construct of the instrument; "
            f"use one of {', '.join(constructs)}"
        )
    return request.argument


_VALUE = re.compile(r"(?<![\w.])([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*\*\s*")


_VALUE_LABEL = re.compile(r"(?<![\w.])([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*\*\s*)[A-Za-z_]\w*\s*\*\s*")


def _population_syntax(syntax: str) -> str:
    """A model's syntax as the population draws it: a term with a value and a label (``0.4*a*x``, the value
    for the population, the label for the analysis's ``:=``) keeps its value (``0.4*x``)."""
    return "\n".join(_VALUE_LABEL.sub(r"\1", line) for line in syntax.splitlines())


def _without_values(syntax: str) -> str:
    """A model's syntax with its population values (``0.7*x1``) removed: the model an analysis fits."""
    return "\n".join(_VALUE.sub("", line) for line in syntax.splitlines())


def _regression(syntax: str, request: PlanRequest) -> tuple[str, tuple[str, ...], dict[str, int]]:
    """The regression of a model whose right-hand side names the predictor: outcome, predictors, and the
    predictor's population sign when its value is given."""
    predictor = request.argument
    for line in syntax.replace(";", "\n").splitlines():
        line = line.split("#", 1)[0]
        if re.search(r"=~|~~|:=|<-", line) or "~" not in line:
            continue
        lhs, rhs = line.split("~", 1)
        terms = [t.strip() for t in rhs.split("+") if t.strip()]
        names = [t.split("*")[-1].strip() for t in terms]
        if predictor in names:
            value = _VALUE.match(terms[names.index(predictor)])
            signs = {predictor: 1 if float(value.group(1)) > 0 else -1} if value and float(value.group(1)) else {}
            return lhs.strip(), tuple(names), signs
    raise EmstudyError(f"--analysis {request.analysis}: no regression 'Y ~ ... + {predictor}' in the --model")


def _case_driver(project: Project, request: PlanRequest) -> object:
    """Notebook 04's drivers model (every construct, and role when drawn) with the construct as the target;
    the population's sign from the generator's weights (designed) or the case's committed drivers.csv."""
    from emstudy.planning.analyses import DriverCoefficient
    from emstudy.steps import files
    from emstudy.survey.simulate import SimulationSettings

    construct = _construct(project, request)
    others = tuple(c for c in project.codebook().construct_ids if c != construct)
    if _kind(project, request) == "designed":
        weight = dict(SimulationSettings().outcome_weights).get(construct, 0.0)
        signs = {construct: 1 if weight > 0 else -1} if weight else {}
        return DriverCoefficient(OUTCOME, (construct,), covariates=(*others, "role"), categorical=("role",),
                                 signs=signs)  # fmt: skip
    path = project.results_dir(request.case) / files.DRIVERS_TABLE
    coef = pd.read_csv(path, index_col="term")["coef"].get(construct) if path.is_file() else None
    signs = {construct: 1 if coef > 0 else -1} if coef else {}
    return DriverCoefficient(OUTCOME, (construct,), covariates=others, signs=signs)


def _analysis(project: Project, request: PlanRequest) -> object:
    """The analysis ``--analysis`` names, for the population at hand."""
    from emstudy.planning import analyses

    kind, arg, place = request.kind, request.argument, request.case
    syntax = _syntax(request) if request.model is not None else None
    if kind in (*_NEEDS_PLACES, "invariance") and place is None:
        raise EmstudyError(f"--analysis {request.analysis}: compares a place with the others; plan on --case ID")
    if kind == "below":  # Holm over every construct, as notebook 05; the table keeps the construct asked
        _construct(project, request)
        return analyses.BelowOthers(place, tuple(project.codebook().construct_ids), case_col=CASE_COLUMN)
    if kind == "welch":
        return analyses.WelchDifference(place, _construct(project, request), case_col=CASE_COLUMN)
    if kind == "driver" and syntax is None:
        return _case_driver(project, request)
    if kind == "driver":
        outcome, predictors, signs = _regression(syntax, request)
        others = tuple(p for p in predictors if p != arg)
        return analyses.DriverCoefficient(outcome, (arg,), covariates=others, signs=signs)
    if kind == "indirect":
        if syntax is None:
            raise EmstudyError(f"--analysis {request.analysis}: needs a --model that defines '{arg} := ...'")
        return analyses.IndirectEffect(_without_values(syntax), arg)
    model = _measurement(project, request, syntax)
    missing = "listwise" if syntax is not None else "fiml"  # the study's items have non-response: FIML, as 03
    if kind == "cfa":
        return analyses.CFAFit(model, missing=missing)
    return analyses.InvarianceStep(model, group_col=CASE_COLUMN, level=arg)


def _measurement(project: Project, request: PlanRequest, syntax: str | None) -> str:
    """The measurement model a CFA fits: the --model's ``=~`` lines, or the instrument's core model."""
    if syntax is not None:
        lines = [line for line in _without_values(syntax.replace(";", "\n")).splitlines() if "=~" in line]
        if not lines:
            raise EmstudyError(f"--analysis {request.analysis}: the --model has no measurement line 'f =~ ...'")
        return "\n".join(lines)
    if _kind(project, request) == "fitted":
        raise EmstudyError(
            f"--analysis {request.analysis}: fits the items, but the fitted population draws construct scores; "
            "use --population designed or a --model"
        )
    # the instrument's core model (notebook 03), its factors named apart from the drawn construct scores
    scales = project.codebook().scales(include_outcome=False)
    return "\n".join(f"{c}_factor =~ {' + '.join(items)}" for c, items in scales.items())


# -- running and writing -----------------------------------------------------------------------------------
def run_plan(project: Project, request: PlanRequest, *, progress: bool = True) -> PlanResult:
    """Run the planning study of ``request`` and write ``power.csv`` and ``power.png`` under ``request.out``.

    Nothing is written before every replication has finished: an interrupt (KeyboardInterrupt, which
    :func:`~emstudy.planning.engine.run_power` raises after cancelling its tasks) leaves ``request.out`` as it
    was. The two files are then written atomically with SIGINT and SIGTERM held back, so both are written or
    neither is.

    Parameters
    ----------
    project : Project
    request : PlanRequest
        From :func:`parse_request`.
    progress : bool
        A progress bar over replications on standard error.

    Returns
    -------
    PlanResult
    """
    from emstudy.planning.engine import run_power

    if request.model is not None:  # the model's syntax is checked first, as a population
        population, synthetic, label = _population(project, request)
    try:
        analysis = _analysis(project, request)
    except EmstudyError as exc:  # the analysis's own check names its parameter; the command names its option
        if str(exc).startswith("--"):
            raise
        raise EmstudyError(f"--analysis {request.analysis}: {exc}") from None
    if request.model is None:  # a case's population after the cheap checks of the analysis
        population, synthetic, label = _population(project, request)
    options = {"scheduler": request.scheduler, "workers": request.workers, "progress": progress}
    try:
        table = run_power(population, analysis, ns=request.ns, replications=request.replications,
                          seed=request.seed, **options)  # fmt: skip
    except EmstudyError as exc:  # the engine names its parameter; the command names its option
        raise EmstudyError(f"--{exc}" if str(exc).startswith("scheduler:") else str(exc)) from None
    table = _asked(table, request)
    frame = table.to_frame()
    targets = list(dict.fromkeys(frame["target"]))
    smallest = {t: table.smallest_n(power=request.power, target=t) for t in targets}
    title = f"Power by sample size: {label}" + (" (SYNTHETIC DATA)" if synthetic else "")
    outputs = {
        POWER_TABLE: table.to_csv_bytes(),
        POWER_FIGURE: power_figure_png(frame, title=title, power=request.power),
    }
    written = _write_together(request.out, outputs)
    errors = tuple(f"n = {n}, replication {r}: {message}" for n, r, message in table.errors)
    notes = _meaning(project, request, analysis)
    return PlanResult(request, table, frame, smallest, written, synthetic, label, errors, notes)


def _meaning(project: Project, request: PlanRequest, analysis: object) -> tuple[str, ...]:
    """What n and the target mean, in words, for the printout."""
    alpha = getattr(analysis, "alpha", 0.05)
    if request.model is not None:
        n = "n: rows drawn from the model"
    elif _kind(project, request) == "designed":
        n = (f"n: respondents surveyed at {request.case} (the quality screening of notebook 01 then drops "
             "careless ones, as in the study)")  # fmt: skip
    else:
        n = f"n: respondents at {request.case} with construct scores"
    if request.kind in _NEEDS_PLACES:
        n += "; the other places keep their study sizes"
    what = {
        "below": f"{request.argument} found below the other places pooled (Welch t test, Holm over the "
        f"{len(project.codebook().construct_ids)} constructs, alpha {alpha:g}; notebook 05's weakness verdict)",
        "welch": f"Welch t test of {request.argument} against the other places pooled rejects (two-sided, "
        f"alpha {alpha:g})",
        "driver": f"the HC3 OLS coefficient of {request.argument} (notebook 04's drivers model) has p < "
        f"{alpha:g} and the population's sign",
        "cfa": "rmsea_close: the close-fit test rejects (misfit found); rmsea_not_close: the not-close-fit test "
        "rejects (close fit shown); loadings_precise: every standardized loading's 95% CI narrower than 0.2",
        "invariance": f"the chi-square difference test of {request.argument} invariance across the places "
        f"rejects (alpha {alpha:g}), n per place",
        "indirect": f"the delta-method z test of {request.argument} rejects (alpha {alpha:g})",
    }[request.kind]
    return (n, f"power: the share of replications in which {what}")


def _asked(table: PowerTable, request: PlanRequest) -> PowerTable:
    """The table of the target ``--analysis`` asked for (``below:C`` of the verdict over every construct)."""
    if request.kind != "below":
        return table
    j = table.targets.index(request.analysis)
    return replace(table, targets=(request.analysis,), successes=tuple((row[j],) for row in table.successes))


def _write_together(folder: Path, outputs: dict[str, bytes]) -> tuple[Path, ...]:
    """Write every file atomically, holding SIGINT and SIGTERM back until all are written."""
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        return tuple(atomic_write_bytes(folder / name, data) for name, data in outputs.items())
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def report_lines(result: PlanResult, *, root: Path | None = None) -> list[str]:
    """What ``emstudy plan`` prints: the population, the table, the smallest n per target, the files written
    (relative to ``root`` when under it)."""
    request = result.request
    lines = (
        ["SYNTHETIC DATA: the population is the study's synthetic data, not a real survey"] if result.synthetic else []
    )
    lines.append(
        f"population: {result.population_label}; analysis {request.analysis}; "
        f"{request.replications} replications per n, seed {request.seed}"
    )
    lines.append(result.frame.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    lines.extend(result.notes)
    low, top = min(request.ns), max(request.ns)
    for target, n in result.smallest.items():
        reached = f"n = {n}" if n is not None else f"not reached up to n = {top}; try larger --n"
        if n == low:
            reached += f" (the smallest n tried: a smaller n may do; try --n below {low})"
        lines.append(f"smallest n with power >= {request.power:g} for {target}: {reached}")
    failed = int(result.frame.drop_duplicates("n")["failed"].sum()) if len(result.frame) else 0
    if failed:
        first = f"; first: {result.errors[0]}" if result.errors else ""
        lines.append(f"{failed} replication(s) failed and count as not reaching the target{first}")
    lines.append("wrote " + " and ".join(_shown(p, root) for p in result.written))
    return lines


def _shown(path: Path, root: Path | None) -> str:
    if root is not None and path.resolve().is_relative_to(root.resolve()):
        return path.resolve().relative_to(root.resolve()).as_posix()
    return str(path)
