"""The ``emstudy`` command.

Every subcommand has ``--help``. Errors the user can fix print one line (``emstudy: error: ...``) and exit
with status 2; nothing is printed as a traceback.
"""

from __future__ import annotations

import argparse
import errno
import hashlib
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from emstudy import __version__
from emstudy.errors import EmstudyError
from emstudy.project import Project
from emstudy.survey.cases import check_case_id
from emstudy.survey.codebook import Codebook

__all__ = ["main"]

EXIT_USER_ERROR = 2
_WRITE_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC), errno.EROFS, errno.EACCES, errno.EPERM}


def _project(args: argparse.Namespace) -> Project:
    return Project.find(args.root)


def _case_ids(project: Project, requested: Sequence[str] | None) -> list[str]:
    if not requested:
        return project.case_ids()
    for case_id in requested:
        project.case(check_case_id(case_id))  # validates, and names the known cases when unknown
    return list(dict.fromkeys(requested))


def _progress(total: int, desc: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="nb", file=sys.stderr, disable=None, mininterval=0.5)


def _check_case_inputs(project: Project, case_ids: Sequence[str]) -> None:
    """Check every case's raw file against ``SHA256SUMS`` and validate its mapping, before anything runs."""
    from emstudy.fileio import verify_checksums
    from emstudy.survey.mapping import load_mapping

    for case_id in case_ids:
        codebook = project.codebook(case_id)
        verify_checksums(project.raw_dir, [project.raw_file(case_id).name])
        mpath = project.mapping_path(case_id)
        if mpath.is_file():
            load_mapping(mpath, codebook)


def _file_codebook(project: Project, path: Path, case_id: str | None) -> Codebook:
    """The codebook a survey file is checked against: ``--case``'s (the core plus the case's own constructs in
    ``data/codebooks/<case>.yml``), else that of the case the file is named after, else the shared core. Says
    which when it is not the core alone."""
    if case_id is None and path.stem in project.case_ids():
        case_id = path.stem
    if case_id is None:
        return project.codebook()
    extension = project.extension_path(check_case_id(case_id))
    if extension.is_file():
        print(f"codebook: the shared core and {extension.relative_to(project.root).as_posix()}")
    return project.codebook(case_id)


def _check_seed(seed: int) -> None:
    """A seed is a whole number from 0 (numpy's seed sequences refuse negative ones)."""
    if seed < 0:
        raise EmstudyError(f"--seed {seed}: must be a whole number from 0 upwards, e.g. --seed 20190719")


# -- subcommands --------------------------------------------------------------------------------------
def cmd_cases(args: argparse.Namespace) -> int:
    project = _project(args)
    for case in project.cases():
        framework = case.framework.en if args.lang == "en" else case.framework.zh
        name = case.name.en if args.lang == "en" else case.name.zh
        print(f"{case.id:<12} {name:<28} n={case.sample.n:<4} {framework}")
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from emstudy.fileio import (
        CHECKSUM_FILE,
        atomic_write_bytes,
        read_checksums,
        sha256_file,
        write_checksums,
        write_error,
    )
    from emstudy.survey.simulate import SimulationSettings, raw_csv, simulate_case, truth_file_name, truth_json
    from emstudy.survey.simulate_interviews import InterviewSettings, interview_files

    project = _project(args)
    codebook = project.codebook()
    _check_seed(args.seed)
    out = Path(args.out) if args.out else project.raw_dir
    if out.exists() and not out.is_dir():
        raise EmstudyError(f"{out}: --out must name a folder, but this is a file; give a new or existing folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_error(out, exc) from None
    settings = SimulationSettings(seed=args.seed)
    case_ids = _simulated_cases(project, args.case, out)
    planned: dict[str, bytes] = {}
    with _progress(len(case_ids), "simulate") as bar:
        for case_id in case_ids:
            case = project.case(case_id, codebook)
            raw, truth = simulate_case(case, codebook, settings)
            planned[f"{case_id}.csv"] = raw_csv(raw)
            planned[truth_file_name(case_id)] = truth_json(truth)
            codes = _interview_codes(project, codebook) if case.interviews else None
            planned.update(interview_files(case, codes, InterviewSettings(seed=args.seed)))  # issue 17
            bar.update()
    digests = {name: hashlib.sha256(data).hexdigest() for name, data in planned.items()}
    changed = [name for name in planned if (out / name).is_file() and sha256_file(out / name) != digests[name]]
    if changed and not args.force:
        raise EmstudyError(
            f"{out / changed[0]}: exists with different contents; raw data is never overwritten "
            "(use --out DIR for a new folder, or --force to replace it deliberately)"
        )
    for name, data in planned.items():
        atomic_write_bytes(out / name, data)
    # entries of files not written now keep their recorded checksum, so a tampered file is never blessed
    recorded = read_checksums(out) if (out / CHECKSUM_FILE).is_file() else {}
    write_checksums(out, {**recorded, **digests})
    print(f"wrote {len(planned)} files to {out} (SYNTHETIC DATA, seed {args.seed}); checksums in {out / CHECKSUM_FILE}")
    return 0


def _interview_codes(project: Project, codebook: Codebook) -> tuple | None:
    """The interview code book's codes (``data/interview_codes.yml``), or None when the project has none."""
    from emstudy.survey.interviews import load_interview_codes

    path = project.root / "data" / "interview_codes.yml"
    return load_interview_codes(path, codebook).codes if path.is_file() else None


def _simulated_cases(project: Project, case_id: str | None, out: Path) -> list[str]:
    """The cases ``simulate`` writes: a case whose data come from a survey file is never simulated beside it."""
    case_ids = _case_ids(project, case_id)
    if out.resolve() != project.raw_dir.resolve():
        return case_ids
    own = [c for c in case_ids if project.has_survey_file(c)]
    if own and case_id is not None:
        raise EmstudyError(
            f"{project.raw_path(own[0]).relative_to(project.root).as_posix()}: case {own[0]!r} has its own survey "
            "data; simulating it would put synthetic data beside them; use --out DIR to simulate it elsewhere"
        )
    for c in own:
        print(f"skipped {c}: its data come from a survey file ({project.raw_path(c).name}), not the simulator")
    return [c for c in case_ids if c not in own]


def cmd_run(args: argparse.Namespace) -> int:
    from emstudy.runner.manifest import lock_warning, write_manifest
    from emstudy.runner.pipeline import TaskCache, available_cores, plan_tasks, run_lock, run_tasks, source_fingerprint

    project = _project(args)
    case_ids = _case_ids(project, args.case)
    all_cases = project.case_ids()
    _check_case_inputs(project, all_cases)
    from emstudy.runner.newcase import privacy_warnings

    for line in [*privacy_warnings(project, all_cases), lock_warning(project)]:
        if line:
            print(f"emstudy: warning: {line}", file=sys.stderr)
    tasks = plan_tasks(
        project, case_ids, notebooks=args.notebook, extra={"seed": args.seed, "lang": args.lang}, all_case_ids=all_cases
    )
    _check_seed(args.seed)
    cache = TaskCache(project.root, project.cache_dir, source_fingerprint())
    cores = available_cores()
    jobs = min(args.jobs or cores, cores)
    if args.scheduler and args.jobs:
        raise EmstudyError("--jobs: not with --scheduler (the cluster's workers and threads set the parallelism)")
    if args.jobs and args.jobs > cores:
        print(f"emstudy: --jobs {args.jobs} is more than the {cores} cores available; using {cores}", file=sys.stderr)
    from emstudy.runner.distributed import cluster, describe

    with cluster(args.scheduler) as client, run_lock(project), _progress(len(tasks), "run") as bar:
        records = run_tasks(
            tasks, jobs=jobs, progress=lambda t: bar.update(), cache=cache, force=args.force, client=client
        )
        where = {"jobs": jobs} if client is None else describe(client)
    manifest = write_manifest(project, records, parameters={"seed": args.seed, "lang": args.lang, **where})
    ran = sum(r.status == "ran" for r in records)
    print(
        f"{ran} notebook(s) executed, {len(records) - ran} unchanged (cached) for {len(case_ids)} case(s); "
        f"manifest in {manifest.relative_to(project.root)}"
    )
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from emstudy.fileio import verify_checksums

    project = _project(args)
    checked = verify_checksums(project.raw_dir)
    print(f"checksums: {len(checked)} raw file(s) match {project.raw_dir / 'SHA256SUMS'}")
    if args.no_nbval:
        return 0
    # hidden files (a killed run's .*.tmp.ipynb, .ipynb_checkpoints) are never collected
    cmd = [sys.executable, "-m", "pytest", "--nbval", "-q", "-p", "no:cacheprovider", "--ignore-glob=*/.*", "analysis"]
    print("nbval: " + " ".join(cmd[2:]), flush=True)
    return _call_read_only(cmd, project)


def _call_read_only(cmd: list[str], project: Project) -> int:
    """Run a reviewers' check whose notebooks write into a throwaway folder, never into the project
    (:func:`emstudy.steps.context.output_project`)."""
    import shutil
    import tempfile

    from emstudy.steps.context import REVIEW_OUTPUTS_ENV, REVIEW_ROOT_ENV

    scratch = tempfile.mkdtemp(prefix="emstudy-verify-")
    env = {**os.environ, REVIEW_ROOT_ENV: str(project.root.resolve()), REVIEW_OUTPUTS_ENV: scratch}
    try:
        return subprocess.call(cmd, cwd=project.root, env=env)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def cmd_lab(args: argparse.Namespace) -> int:
    """Start JupyterLab on the project, its file browser opened at ``notebooks/``."""
    project = _project(args)
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--ServerApp.root_dir={project.root}",
        "--LabApp.default_url=/lab/tree/notebooks",
        *(["--no-browser"] if args.no_browser else []),
        *([f"--ServerApp.port={args.port}"] if args.port else []),
        *args.jupyter_args,
    ]
    print(
        "JupyterLab on the project; the templates are in notebooks/. Run by hand, they read analysis/ and write "
        f"under {project.scratch_dir.name}/ (git-ignored); `emstudy run` writes analysis/. Stop with Ctrl-C.",
        flush=True,
    )
    return _run_server(cmd, cwd=project.root)


def _run_server(cmd: list[str], *, cwd: Path) -> int:
    """Run a server in the foreground; Ctrl-C or SIGTERM stops it cleanly (its kernels included)."""
    proc = subprocess.Popen(cmd, cwd=cwd)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from emstudy.steps.context import read_survey_file
    from emstudy.survey.mapping import ColumnMapping, load_mapping, validate_survey

    project = _project(args)
    codebook = _file_codebook(project, Path(args.file), args.case)
    mapping = load_mapping(args.mapping, codebook) if args.mapping else ColumnMapping()
    # compact: a big export's repeated labels are held once (issue 12: 1,000,000 rows in < 1.5 GB)
    raw = read_survey_file(Path(args.file), sheet=args.sheet, encoding=args.encoding, compact=True)
    report = validate_survey(raw, mapping, codebook, source=str(args.file))
    print(report.text())
    if report.blocking:
        raise EmstudyError(
            report.blocking[0]
            + (f" (and {len(report.blocking) - 1} more problem(s) above)" if len(report.blocking) > 1 else "")
        )
    return 0


def cmd_map(args: argparse.Namespace) -> int:
    from emstudy.steps.context import read_survey_file
    from emstudy.survey.mapping import mapping_template
    from emstudy.survey.matching import propose_mapping, write_mapping_proposal

    project = _project(args)
    path = Path(args.file)
    codebook = _file_codebook(project, path, args.case)
    raw = read_survey_file(path, sheet=args.sheet)
    proposal = propose_mapping(raw.columns, codebook, source=str(path))
    out = Path(args.out) if args.out else project.root / "data" / "mappings" / f"{path.stem}.yml"
    write_mapping_proposal(out, proposal, codebook, force=args.force, replaceable=mapping_template(codebook))
    for column in proposal.columns:
        print(column.line())
    print(f"{proposal.summary()}; wrote {out}: review it, then `emstudy validate {path} --mapping {out}`")
    return 0


def cmd_checksum(args: argparse.Namespace) -> int:
    from emstudy.fileio import CHECKSUM_FILE, read_checksums, sha256_file, write_checksums

    project = _project(args)
    raw = project.raw_file(check_case_id(args.case_id))
    path = project.raw_dir / CHECKSUM_FILE
    recorded = read_checksums(project.raw_dir) if path.is_file() else {}
    digest = sha256_file(raw)
    if raw.name in recorded and recorded[raw.name] != digest and not args.force:
        raise EmstudyError(
            f"{raw}: a different checksum is already recorded in {path}; raw data is never "
            "re-blessed silently (restore the file, or pass --force if you replaced it deliberately)"
        )
    if recorded.get(raw.name) == digest:
        print(f"{raw.relative_to(project.root)}: checksum already recorded in {path.relative_to(project.root)}")
        return 0
    write_checksums(project.raw_dir, {**recorded, raw.name: digest})
    print(f"{raw.relative_to(project.root)}: sha256 {digest} recorded in {path.relative_to(project.root)}")
    return 0


def cmd_new_case(args: argparse.Namespace) -> int:
    from emstudy.runner.newcase import scaffold_case

    project = _project(args)
    result = scaffold_case(project, args.case_id)
    print(f"wrote {result.case_file.relative_to(project.root)} and {result.mapping_file.relative_to(project.root)}")
    print("next steps:")
    for number, step in enumerate(result.next_steps, start=1):
        print(f"  {number}. {step}")
    return 0


def cmd_archive(args: argparse.Namespace) -> int:
    from emstudy.runner.archive import OUTPUTS_MANIFEST, build_archive, check_outputs

    if args.check:  # in an unpacked package, which needs no git: --root, else the working directory
        root = Path(args.root or Path.cwd()).resolve()
        differ = check_outputs(root)
        for path in differ:
            print(f"differs: {path}")
        if differ:
            print(f"{len(differ)} output(s) differ from {OUTPUTS_MANIFEST}", file=sys.stderr)
            return 1
        print(f"every output reproduced: all files in {OUTPUTS_MANIFEST} match")
        return 0
    project = _project(args)
    path = build_archive(project, out=args.out, allow_dirty=args.allow_dirty)
    print(f"wrote {path} (the study at its commit, REPLICATION.md and {OUTPUTS_MANIFEST})")
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    from emstudy.runner.plan import parse_request, report_lines, run_plan

    project = _project(args)
    options = {k: v for k, v in vars(args).items() if k not in ("func", "command", "root") and v is not None}
    result = run_plan(project, parse_request(project, **options))
    print("\n".join(report_lines(result, root=project.root)))
    return 0


# -- parser -------------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="emstudy",
        description=(
            "Reproducible multi-case study of local-government emergency management "
            "(the data shipped with the project are SYNTHETIC)."
        ),
    )
    parser.add_argument("--version", action="version", version=f"emstudy {__version__}")
    parser.add_argument("--root", help="the project folder (default: found from the working directory)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_study_commands(sub)
    _add_data_commands(sub)
    _add_archive_command(sub)
    _add_plan_command(sub)
    return parser


def _add_study_commands(sub: argparse._SubParsersAction) -> None:
    """The commands that list, simulate, run and check the study."""
    p = sub.add_parser("cases", help="list the cases", description="List the cases and their frameworks.")
    p.add_argument("--lang", choices=("en", "zh"), default="en", help="language of names (default en)")
    p.set_defaults(func=cmd_cases)

    p = sub.add_parser(
        "simulate",
        help="regenerate the synthetic raw data",
        description="Write the seeded synthetic study: data/raw/<case>.csv, <case>.truth.json "
        "and SHA256SUMS. Identical bytes on every run with the same seed.",
    )
    p.add_argument("--out", help="output folder (default data/raw)")
    p.add_argument("--seed", type=int, default=20190719, help="study seed (default 20190719)")
    p.add_argument("--case", action="append", metavar="ID", help="only this case (repeatable)")
    p.add_argument("--force", action="store_true", help="replace raw files whose contents differ")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser(
        "run",
        help="execute the notebooks for every case",
        description="Check the raw data against its checksums and execute the notebook templates "
        "with papermill into analysis/<case>/.",
    )
    p.add_argument("--case", action="append", metavar="ID", help="only this case (repeatable)")
    p.add_argument("--notebook", action="append", metavar="NAME", help="only this template, e.g. 01_data_quality")
    p.add_argument("--jobs", type=int, default=0, help="parallel processes (default: number of cores)")
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run the notebooks on the workers of this Dask scheduler (tcp://HOST:PORT); they must share the project",
    )
    p.add_argument("--seed", type=int, default=20190719, help="seed for resampling in the notebooks (default 20190719)")
    p.add_argument(
        "--lang",
        choices=("en", "zh"),
        default="en",
        help="language of the findings notebooks' narrative (reports are written in both)",
    )
    p.add_argument("--force", action="store_true", help="rerun every notebook, even when its inputs are unchanged")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "verify",
        help="reviewers' check: raw checksums and nbval over analysis/",
        description="Check data/raw against SHA256SUMS, then rerun the executed notebooks under "
        "pytest --nbval and compare their outputs.",
    )
    p.add_argument("--no-nbval", action="store_true", help="only check the checksums")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser(
        "lab",
        help="explore the notebooks in JupyterLab",
        description="Start JupyterLab on the project, opened at notebooks/. A template run there by hand "
        "reads the committed analysis/ and writes its results and reports under scratch/ (git-ignored). "
        "Options after -- go to jupyter lab.",
    )
    p.add_argument("--no-browser", action="store_true", help="do not open a browser (print the address instead)")
    p.add_argument("--port", type=int, default=0, help="the server's port (default: 8888 or the next free one)")
    p.add_argument("jupyter_args", nargs="*", metavar="OPTION", help="options for jupyter lab, after --")
    p.set_defaults(func=cmd_lab)


_CASE_CODEBOOK_HELP = (
    "check against this case's codebook: the shared core plus the case's own constructs in "
    "data/codebooks/<ID>.yml (default: the case the file is named after, when it has one; else the core)"
)


def _add_data_commands(sub: argparse._SubParsersAction) -> None:
    """The commands for a user's own survey file and case."""
    p = sub.add_parser(
        "validate",
        help="check a survey file against the codebook",
        description="Read a survey export (CSV, XLSX, SPSS .sav, Stata .dta), apply a column "
        "mapping, encode it with the codebook and print a quality report: unmapped "
        "columns and labels, out-of-range values, missingness per item, "
        "straight-liners, speeders and duplicates. Exits with status 2 when anything "
        "blocks the analysis.",
    )
    p.add_argument("file", help="the survey file")
    p.add_argument("--mapping", metavar="M", help="column mapping YAML (see data/mappings/)")
    p.add_argument(
        "--sheet", help="XLSX: sheet name (default: the active sheet if visible, else the first visible one)"
    )
    p.add_argument("--encoding", help="CSV: text encoding (default: UTF-8, UTF-8 with BOM or GB18030, detected)")
    p.add_argument("--case", metavar="ID", help=_CASE_CODEBOOK_HELP)
    p.set_defaults(func=cmd_validate)
    _add_map_command(sub)

    p = sub.add_parser(
        "checksum",
        help="record a case's raw file in data/raw/SHA256SUMS",
        description="Record the SHA-256 of data/raw/<ID>.<ext> in data/raw/SHA256SUMS; later runs "
        "refuse the file if it changes.",
    )
    p.add_argument("case_id", metavar="ID", help="the case id")
    p.add_argument("--force", action="store_true", help="replace a different checksum already recorded")
    p.set_defaults(func=cmd_checksum)

    p = sub.add_parser(
        "new-case",
        help="scaffold a new case",
        description="Write data/cases/<ID>.yml (to fill) and data/mappings/<ID>.yml, and print the next steps.",
    )
    p.add_argument("case_id", metavar="ID", help="the new case id (lowercase letters, digits, '_')")
    p.set_defaults(func=cmd_new_case)


def _add_map_command(sub: argparse._SubParsersAction) -> None:
    """``emstudy map FILE``: propose a column mapping from a survey's header texts."""
    p = sub.add_parser(
        "map",
        help="propose a column mapping from a survey's headers",
        description="Match each column of a survey export to a codebook field by its header text (question "
        "numbers are ignored), with a similarity score; mark ambiguous and unmatched columns; write the "
        "mapping YAML for you to review, and print one line per column.",
    )
    p.add_argument("file", help="the survey file")
    p.add_argument("--out", metavar="M", help="the mapping to write (default data/mappings/<file name>.yml)")
    p.add_argument("--sheet", help="XLSX: the sheet to read (default: as `emstudy validate` reads it)")
    p.add_argument("--force", action="store_true", help="replace an existing mapping file")
    p.add_argument("--case", metavar="ID", help=_CASE_CODEBOOK_HELP)
    p.set_defaults(func=cmd_map)


def _add_archive_command(sub: argparse._SubParsersAction) -> None:
    """``emstudy archive``: the replication package."""
    p = sub.add_parser(
        "archive",
        help="write the replication package (zip)",
        description="Write one zip file with every file git tracks at HEAD (code, data/raw and its checksums, "
        "notebooks, analysis/, reports/, lock files), a REPLICATION.md in the structure of the social-science "
        "data editors' template README, and OUTPUTS.sha256; the same commit gives the same bytes. Refuses a "
        "tree with uncommitted changes to tracked files. With --check, compare the outputs of an unpacked "
        "package with its OUTPUTS.sha256 instead.",
    )
    p.add_argument("--out", metavar="FILE", help="the zip file to write (default dist/emstudy-<version>-<commit>.zip)")
    p.add_argument(
        "--allow-dirty",
        action="store_true",
        help="package the working-tree contents of tracked files with uncommitted changes (REPLICATION.md says so)",
    )
    p.add_argument(
        "--check",
        action="store_true",
        help="in an unpacked package: compare every output with OUTPUTS.sha256 (exit 1 naming those that differ)",
    )
    p.set_defaults(func=cmd_archive)


def _add_plan_command(sub: argparse._SubParsersAction) -> None:
    """``emstudy plan``: Monte Carlo power and sample size (emstudy.runner.plan), on Dask."""
    p = sub.add_parser(
        "plan",
        help="plan a survey: Monte Carlo power by sample size",
        description="Simulate a survey at each sample size of --n from a case's population (the synthetic "
        "generator as designed, or construct scores as fitted) or a lavaan-syntax model with values, run the "
        "analysis on each replication on a Dask cluster, and write power.csv and power.png once all finished; "
        "print the table and the smallest n reaching --power per target.",
    )
    p.add_argument("--case", metavar="ID", help="plan for this case's place")
    p.add_argument("--population", metavar="KIND", help="designed (default for a synthetic case) or fitted")
    p.add_argument("--model", metavar="FILE", help="a lavaan-syntax model with population values, e.g. f =~ 0.7*x1")
    p.add_argument(
        "--analysis",
        metavar="A",
        help="below:CONSTRUCT, welch:CONSTRUCT, driver:CONSTRUCT, cfa, invariance:LEVEL or indirect:LABEL",
    )
    p.add_argument("--n", metavar="N,N,...", help="sample sizes, e.g. 100,200,400")
    p.add_argument("--replications", metavar="R", default="1000", help="replications per n (default 1000)")
    p.add_argument("--seed", metavar="S", default="20190719", help="seed (default 20190719)")
    p.add_argument("--missing-rate", metavar="P", help="item non-response (default: the study's)")
    p.add_argument("--careless-rate", metavar="P", help="careless respondents (default: the study's)")
    p.add_argument("--power", metavar="P", default="0.8", help="the power wanted (default 0.8)")
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="a running Dask scheduler, tcp://HOST:PORT (default: a local cluster; synchronous: in this process)",
    )
    p.add_argument("--workers", metavar="N", help="worker processes of the local cluster (default: all cores)")
    p.add_argument("--out", metavar="DIR", help="output folder (default scratch/plans/<case>_<analysis>/)")
    p.set_defaults(func=cmd_plan)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "jobs", 0) is not None and getattr(args, "jobs", 0) < 0:
        parser.error("--jobs must be a positive number")
    previous = _terminate_as_interrupt()
    try:
        return args.func(args)
    except EmstudyError as exc:
        print(f"emstudy: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except OSError as exc:  # disk full or read-only folder where no step named the file
        if exc.errno not in _WRITE_ERRNOS or exc.filename is None:
            raise
        from emstudy.fileio import write_error

        print(f"emstudy: error: {write_error(exc.filename, exc)}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print(
            "emstudy: interrupted; outputs written so far are complete, the rest were left as they were",
            file=sys.stderr,
        )
        if argv is None:  # the command itself: every output is written atomically and the children are dead,
            sys.stdout.flush()  # so skip the interpreter's slow teardown (about 1 s with the scientific stack)
            sys.stderr.flush()
            os._exit(130)
        return 130
    finally:
        for signum, handler in (previous or {}).items():
            signal.signal(signum, handler)


def _raise_interrupt(signum, frame):  # noqa: ARG001 - signal handler signature
    raise KeyboardInterrupt


def _terminate_as_interrupt() -> dict | None:
    """Make SIGTERM behave like Ctrl-C, so temporary files are removed and previous outputs kept; and make
    Ctrl-C (SIGINT) raise KeyboardInterrupt even where the command started with it ignored (a background job
    of a non-interactive shell inherits SIGINT ignored, and Python then installs no handler of its own).

    Returns the previous handlers by signal (None when not in the main thread, where handlers cannot be set).
    """
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None
    return {
        signal.SIGINT: signal.signal(signal.SIGINT, signal.default_int_handler),
        signal.SIGTERM: signal.signal(signal.SIGTERM, _raise_interrupt),
    }


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
