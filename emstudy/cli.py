"""The ``emstudy`` command.

Every subcommand has ``--help``. Errors the user can fix print one line (``emstudy: error: ...``) and exit
with status 2; nothing is printed as a traceback.
"""

from __future__ import annotations

import argparse
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

__all__ = ["main"]

EXIT_USER_ERROR = 2


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

    codebook = project.codebook()
    for case_id in case_ids:
        verify_checksums(project.raw_dir, [project.raw_file(case_id).name])
        mpath = project.mapping_path(case_id)
        if mpath.is_file():
            load_mapping(mpath, codebook)


# -- subcommands --------------------------------------------------------------------------------------
def cmd_cases(args: argparse.Namespace) -> int:
    project = _project(args)
    for case in project.cases():
        framework = case.framework.en if args.lang == "en" else case.framework.zh
        name = case.name.en if args.lang == "en" else case.name.zh
        print(f"{case.id:<12} {name:<28} n={case.sample.n:<4} {framework}")
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from emstudy.fileio import CHECKSUM_FILE, atomic_write_bytes, read_checksums, sha256_file, write_checksums
    from emstudy.survey.simulate import SimulationSettings, raw_csv, simulate_case, truth_file_name, truth_json

    project = _project(args)
    codebook = project.codebook()
    out = Path(args.out) if args.out else project.raw_dir
    out.mkdir(parents=True, exist_ok=True)
    settings = SimulationSettings(seed=args.seed)
    case_ids = _case_ids(project, args.case)
    planned: dict[str, bytes] = {}
    with _progress(len(case_ids), "simulate") as bar:
        for case_id in case_ids:
            raw, truth = simulate_case(project.case(case_id, codebook), codebook, settings)
            planned[f"{case_id}.csv"] = raw_csv(raw)
            planned[truth_file_name(case_id)] = truth_json(truth)
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


def cmd_run(args: argparse.Namespace) -> int:
    from emstudy.runner.manifest import write_manifest
    from emstudy.runner.pipeline import plan_tasks, run_tasks, source_fingerprint, task_key

    project = _project(args)
    case_ids = _case_ids(project, args.case)
    all_cases = project.case_ids()
    _check_case_inputs(project, all_cases)
    tasks = plan_tasks(
        project, case_ids, notebooks=args.notebook, extra={"seed": args.seed, "lang": args.lang}, all_case_ids=all_cases
    )
    source = source_fingerprint()
    keys = {task.output: task_key(project, task, source=source, case_ids=all_cases) for task in tasks}
    jobs = args.jobs or os.cpu_count() or 1
    with _progress(len(tasks), "run") as bar:
        records = run_tasks(
            tasks,
            jobs=jobs,
            progress=lambda task: bar.update(),
            keys=keys,
            cache_dir=project.cache_dir,
            force=args.force,
        )
    manifest = write_manifest(project, records, parameters={"seed": args.seed, "lang": args.lang, "jobs": jobs})
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
    cmd = [sys.executable, "-m", "pytest", "--nbval", "-q", "-p", "no:cacheprovider", "analysis"]
    print("nbval: " + " ".join(cmd[2:]), flush=True)
    return subprocess.call(cmd, cwd=project.root)


def cmd_validate(args: argparse.Namespace) -> int:
    from emstudy.steps.context import read_survey_file
    from emstudy.survey.mapping import ColumnMapping, load_mapping, validate_survey

    project = _project(args)
    codebook = project.codebook()
    mapping = load_mapping(args.mapping, codebook) if args.mapping else ColumnMapping()
    raw = read_survey_file(Path(args.file), sheet=args.sheet, encoding=args.encoding)
    report = validate_survey(raw, mapping, codebook, source=str(args.file))
    print(report.text())
    if report.blocking:
        raise EmstudyError(
            report.blocking[0]
            + (f" (and {len(report.blocking) - 1} more problem(s) above)" if len(report.blocking) > 1 else "")
        )
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
    p.add_argument("--sheet", help="XLSX: sheet name (default: the first sheet)")
    p.add_argument("--encoding", help="CSV: text encoding (default: UTF-8, UTF-8 with BOM or GB18030, detected)")
    p.set_defaults(func=cmd_validate)

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
    except KeyboardInterrupt:
        print(
            "emstudy: interrupted; outputs written so far are complete, the rest were left as they were",
            file=sys.stderr,
        )
        return 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _raise_interrupt(signum, frame):  # noqa: ARG001 - signal handler signature
    raise KeyboardInterrupt


def _terminate_as_interrupt():
    """Make SIGTERM behave like Ctrl-C, so temporary files are removed and previous outputs kept.

    Returns the previous handler (None when not in the main thread, where handlers cannot be set).
    """
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, _raise_interrupt)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
