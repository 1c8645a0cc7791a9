"""The replication package: one zip file with everything git tracks at a commit, a README and a checksum list.

``emstudy archive`` packs every file git tracks at ``HEAD`` (code, ``data/raw`` with its ``SHA256SUMS``, the
notebook templates, the executed notebooks and results under ``analysis/``, the reports, the lock files when
they are tracked) under one folder ``emstudy-<version>-<commit>/``, and adds two generated files at its root:

* ``REPLICATION.md``: a README in the structure of the social-science data editors' template README for
  replication packages (overview; data availability and provenance; dataset list; computational requirements
  with the measured runtime and its hardware; description of programs; instructions; list of tables and
  figures with the notebook and cell that makes each; references);
* ``OUTPUTS.sha256``: the SHA-256 of every output under ``analysis/`` and ``reports/``, in the format of
  ``sha256sum -c``, so that a replicator checks that a rerun reproduced every byte without git.

The zip is byte-reproducible for a commit: entries in path order, each dated at the commit's time, with fixed
permissions (0644, or 0755 for a file git records as executable) and fixed compression. A tree whose tracked
files have uncommitted changes is refused, unless ``allow_dirty``: the package then holds the working-tree
contents of the tracked files and its README says so.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import time
import tomllib
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from emstudy.errors import EmstudyError
from emstudy.fileio import atomic_write_bytes
from emstudy.project import Project

__all__ = [
    "REPLICATION_README",
    "OUTPUTS_MANIFEST",
    "LOCK_FILES",
    "GitState",
    "git_state",
    "package_name",
    "outputs_manifest",
    "replication_readme",
    "build_archive",
    "check_outputs",
]

REPLICATION_README = "REPLICATION.md"
"""The generated README at the root of the package."""

OUTPUTS_MANIFEST = "OUTPUTS.sha256"
"""The generated checksum list of the outputs (``analysis/``, ``reports/``) at the root of the package."""

LOCK_FILES: tuple[str, ...] = ("requirements.lock", "requirements-dev.lock")
"""The lock files at the project root (exact versions and hashes): the run's, then the tests'."""

OUTPUT_FOLDERS: tuple[str, ...] = ("analysis", "reports")
"""The folders ``emstudy run`` writes; their tracked files are the outputs ``OUTPUTS.sha256`` lists."""

BENCHMARK = "benchmarks/results_study.json"
"""The measured runtime of the whole study (written by ``benchmarks/bench_study.py``)."""

_ZIP_MIN_TIME = 315532800  # 1980-01-01 00:00:00 UTC, the earliest date a zip entry can hold


@dataclass(frozen=True)
class GitState:
    """What git says of the project: the commit, its time, the tracked files and those changed since.

    Attributes
    ----------
    commit : str
        The full hash of ``HEAD``.
    timestamp : int
        The commit's committer time (seconds since the epoch, UTC): the date of every zip entry.
    files : tuple of (str, int)
        Every tracked file under the project root (path relative to it, POSIX) with its mode (0o644 or 0o755).
    dirty : tuple of str
        Tracked files whose working-tree contents differ from ``HEAD`` (staged or not).
    """

    commit: str
    timestamp: int
    files: tuple[tuple[str, int], ...]
    dirty: tuple[str, ...]


def _git(root: Path, *args: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, check=False, timeout=120)
    except (OSError, subprocess.SubprocessError) as exc:
        raise EmstudyError(
            f"{root}: cannot run git ({exc}); install git and run `emstudy archive` in a clone of the project"
        ) from None


def git_state(root: str | Path) -> GitState:
    """The git state of the project at ``root`` (see :class:`GitState`).

    Raises
    ------
    EmstudyError
        When ``root`` is not in a git repository, has no commit, or git tracks no file under it.
    """
    root = Path(root)
    head = _git(root, "rev-parse", "--verify", "-q", "HEAD^{commit}")
    if head.returncode != 0:
        inside = _git(root, "rev-parse", "--is-inside-work-tree").returncode == 0
        raise EmstudyError(
            f"{root}: {'the git repository has no commit yet' if inside else 'not in a git repository'}; the "
            "replication package holds the files git tracks at a commit: run `emstudy archive` in a clone of the "
            "project (or `git init`, `git add` and `git commit` the study first)"
        )
    commit = head.stdout.decode().strip()
    stamp = int(_git(root, "show", "-s", "--format=%ct", commit).stdout.decode().strip() or 0)
    listed = _git(root, "ls-files", "-s", "-z", "--", ".").stdout.decode("utf-8", "surrogateescape")
    files = []
    for entry in filter(None, listed.split("\0")):
        meta, _, path = entry.partition("\t")
        files.append((path, 0o755 if meta.split()[0] == "100755" else 0o644))
    if not files:
        raise EmstudyError(f"{root}: git tracks no file here; commit the study first, then run `emstudy archive`")
    status = _git(root, "status", "--porcelain=v1", "-z", "--untracked-files=no", "--", ".")
    changed = [e[3:] for e in status.stdout.decode("utf-8", "surrogateescape").split("\0") if e[:2].strip()]
    prefix = _git(root, "rev-parse", "--show-prefix").stdout.decode("utf-8", "surrogateescape").strip()
    dirty = tuple(sorted(p.removeprefix(prefix) for p in changed))
    return GitState(commit, max(stamp, _ZIP_MIN_TIME), tuple(sorted(set(files))), dirty)


def package_name(version: str, commit: str) -> str:
    """The package's file stem and top folder, named after the version and the commit.

    Examples
    --------
    >>> package_name("0.1.0", "d414825e208df698d49d31212e77ce30d234ccc")
    'emstudy-0.1.0-d414825e208d'
    """
    return f"emstudy-{version}-{commit[:12]}"


def _package_contents(root: str | Path, state: GitState) -> dict[str, tuple[bytes, int]]:
    """The tracked files' contents and modes (path relative to ``root`` -> (bytes, mode)): with a clean tree, the
    files at ``HEAD``; a tracked file deleted from a dirty working tree is left out."""
    files = {path: (Path(root) / path, mode) for path, mode in state.files}
    return {path: (source.read_bytes(), mode) for path, (source, mode) in files.items() if source.is_file()}


def outputs_manifest(contents: Mapping[str, tuple[bytes, int]]) -> str:
    """``OUTPUTS.sha256``: one ``<sha256>  <path>`` line per output file (as ``sha256sum`` writes it), sorted.

    Examples
    --------
    >>> print(outputs_manifest({"reports/a.md": (b"x", 0o644), "data/raw/a.csv": (b"y", 0o644)}), end="")
    2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881  reports/a.md
    """
    lines = [
        f"{hashlib.sha256(data).hexdigest()}  {path}"
        for path, (data, _) in sorted(contents.items())
        if path.split("/", 1)[0] in OUTPUT_FOLDERS
    ]
    return "".join(line + "\n" for line in lines)


def check_outputs(root: str | Path) -> list[str]:
    """Compare the outputs under ``root`` with the package's ``OUTPUTS.sha256``; the paths that differ or are
    missing (an empty list: every output byte was reproduced). Needs no git.

    Raises
    ------
    EmstudyError
        When ``root`` holds no ``OUTPUTS.sha256`` (it is not an unpacked replication package).
    """
    root = Path(root)
    manifest = root / OUTPUTS_MANIFEST
    if not manifest.is_file():
        raise EmstudyError(
            f"{manifest}: not found; --check compares an unpacked replication package with its {OUTPUTS_MANIFEST} "
            "(run it in the folder the package unpacks to, or pass --root DIR)"
        )
    bad = []
    for number, line in enumerate(manifest.read_text(encoding="utf-8").splitlines(), start=1):
        digest, sep, path = line.partition("  ")
        if not sep or len(digest) != 64:
            raise EmstudyError(f"{manifest}: line {number}: expected '<sha256>  <path>', got {line!r}")
        target = root / path
        if not target.is_file() or hashlib.sha256(target.read_bytes()).hexdigest() != digest:
            bad.append(path)
    return bad


def _zip_package(entries: Mapping[str, tuple[bytes, int]], *, prefix: str, timestamp: int) -> bytes:
    """The zip file's bytes: ``entries`` (path -> (bytes, mode)) under the folder ``prefix``, in path order,
    each dated ``timestamp`` (UTC) with its mode, deflated at level 9: equal input, equal bytes."""
    date_time = time.gmtime(max(timestamp, _ZIP_MIN_TIME))[:6]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(entries):
            data, mode = entries[path]
            info = zipfile.ZipInfo(f"{prefix}/{path}", date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so that unzip applies the permissions below
            info.external_attr = (0o100000 | mode) << 16
            archive.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return buffer.getvalue()


def build_archive(project: Project, *, out: str | Path | None = None, allow_dirty: bool = False) -> Path:
    """Write the replication package of ``project`` (see the module's docstring) atomically; returns its path.

    Parameters
    ----------
    project : Project
        The study; its folder must be in a git repository.
    out : str or Path, optional
        The zip file to write (default ``dist/emstudy-<version>-<commit>.zip`` under the project root). A
        folder names where that default file name goes.
    allow_dirty : bool, default False
        Package the working-tree contents of tracked files that have uncommitted changes (recorded in the
        README) instead of refusing.

    Raises
    ------
    EmstudyError
        Outside a git repository, or with uncommitted changes to tracked files and not ``allow_dirty``.
    """
    from emstudy import __version__

    state = git_state(project.root)
    if state.dirty and not allow_dirty:
        more = f" and {len(state.dirty) - 1} more" if len(state.dirty) > 1 else ""
        raise EmstudyError(
            f"{project.root / state.dirty[0]}{more}: uncommitted changes to tracked files; the package is the study "
            "at a commit: commit (or stash) them and run `emstudy archive` again, or pass --allow-dirty to package "
            "the working tree as it is (its REPLICATION.md then says so)"
        )
    name = package_name(__version__, state.commit)
    target = Path(out) if out is not None else project.root / "dist"
    if out is None or target.is_dir():
        target = target / f"{name}.zip"
    contents = _package_contents(project.root, state)
    entries = dict(contents)
    entries[OUTPUTS_MANIFEST] = (outputs_manifest(contents).encode("utf-8"), 0o644)
    readme = replication_readme(project, state, contents, version=__version__)
    entries[REPLICATION_README] = (readme.encode("utf-8"), 0o644)
    return atomic_write_bytes(target, _zip_package(entries, prefix=name, timestamp=state.timestamp))


# -- REPLICATION.md ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Exhibit:
    path: str
    notebook: str  # the executed notebook that writes it ("" when no notebook declares it)
    cell: str  # "cell 19 (In [11])", or "" when no cell names it


def replication_readme(
    project: Project, state: GitState, contents: Mapping[str, tuple[bytes, int]], *, version: str
) -> str:
    """The text of ``REPLICATION.md`` for the package of ``contents`` at ``state``'s commit.

    It is made from the packaged files and the commit only (no clock, no path of this machine), so the same
    commit gives the same text.
    """
    sections = [
        _overview(project, state, contents, version=version),
        _data_availability(project, contents),
        _dataset_list(project, contents),
        _computational_requirements(contents),
        _programs(project, contents),
        _instructions(contents, name=package_name(version, state.commit)),
        _exhibits(project, contents),
        _references(version=version, commit=state.commit),
    ]
    return "\n\n".join(s.strip("\n") for s in sections) + "\n"


def _overview(project: Project, state: GitState, contents: Mapping[str, tuple[bytes, int]], *, version: str) -> str:
    when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(state.timestamp))
    cases = project.case_ids()
    dirty = ""
    if state.dirty:
        listed = ", ".join(f"`{p}`" for p in state.dirty[:10]) + (" ..." if len(state.dirty) > 10 else "")
        dirty = (
            f"\n\n> **Built with `--allow-dirty`**: {len(state.dirty)} tracked file(s) had uncommitted changes "
            f"({listed}); this package holds their working-tree contents, which are not those of commit "
            f"`{state.commit}`. Untracked files are never included."
        )
    n_outputs = sum(1 for p in contents if p.split("/", 1)[0] in OUTPUT_FOLDERS)
    return f"""
# Replication package: emstudy {version}

Commit `{state.commit}` ({when}); this file and `{OUTPUTS_MANIFEST}` are generated by `emstudy archive`.{dirty}

## Overview

emstudy is a reproducible multi-case study of how grass-roots governments in China prepare for and handle
emergencies, reconstructed from five master's theses. The code in this package (the Python package `emstudy`
and the parameterised Jupyter notebooks in `notebooks/`) reads the survey exports in `data/raw/` for
{len(cases)} case(s) ({", ".join(cases)}), checks them against their checksums, and executes the notebooks
for every case and across cases into `analysis/` (executed notebooks and machine-readable results) and
`reports/` (case and summary reports in English and Chinese as Markdown, HTML, Word and PDF, figures in both
languages, index pages). One command, `emstudy run`, runs everything; `{OUTPUTS_MANIFEST}` lists the SHA-256 of
all {n_outputs} output files as committed, so a replicator can check that a rerun reproduces every byte.
The data are synthetic (see below).
"""


def _data_availability(project: Project, contents: Mapping[str, tuple[bytes, int]]) -> str:
    rows, synthetic, own = [], [], []
    for case_id in project.case_ids():
        case = project.case(case_id)
        raw = project.raw_path(case_id).relative_to(project.root).as_posix()
        shipped = "yes" if raw in contents else "**no** (not tracked by git)"
        if project.is_synthetic(case_id):
            synthetic.append(case_id)
            seed = _truth_seed(contents, project.truth_path(case_id).relative_to(project.root).as_posix())
            origin = f"SYNTHETIC: simulated from `data/cases/{case_id}.yml` with seed {seed}"
        else:
            own.append(case_id)
            origin = "a survey export supplied by the study's user (not simulated)"
        rows.append(f"| {case_id} | {case.name.en} | `{raw}` | {origin} | {shipped} |")
    own_text = ""
    if own:
        own_text = (
            f"\n\nThe survey file(s) of {', '.join(f'`{c}`' for c in own)} are not synthetic: they were supplied by "
            "the study's user, whose statement of their provenance, of the respondents' consent and of the right "
            "to redistribute them belongs here before the package is deposited. A case whose raw file is not in "
            "this package cannot be rerun from it."
        )
    return f"""
## Data Availability and Provenance Statements

The five theses' raw questionnaire responses are not public and are **not** part of this package. In their
place the study ships a documented, seeded synthetic data set built on one shared instrument
(`data/codebooks/core.yml`): `emstudy simulate` (module `emstudy/survey/simulate.py`) draws each synthetic
case's respondents from a population model whose construct means encode the weaknesses its thesis reports
(`data/cases/<case>.yml`), and writes the export (`data/raw/<case>.csv`) with the parameters and draws it
used (`data/raw/<case>.truth.json`). Every notebook and report says that its numbers come from synthetic data.
Synthetic case(s): {", ".join(synthetic) or "none"}.{own_text}

### Statement about Rights

- [x] The synthetic data were generated by the authors' code in this package; they describe no real person.
- [{"x" if not own else " "}] Every data file in this package may be redistributed under the licence below.

### License for Data

The synthetic data and the case descriptions are distributed under the licence of the code (`LICENSE`, MIT).

### Summary of Availability

- [{"x" if not own else " "}] All data **are** publicly available (they are in this package).
- [{" " if not own else "x"}] Some data **cannot be made** publicly available (see above).

### Details on each Data Source

| case | place | raw file | origin | in this package |
| --- | --- | --- | --- | --- |
{chr(10).join(rows)}

`data/raw/SHA256SUMS` holds the checksum of each raw file; `emstudy run` refuses a raw file that differs from
it, and `emstudy simulate --out DIR` regenerates the synthetic files byte for byte.
"""


def _truth_seed(contents: Mapping[str, tuple[bytes, int]], path: str) -> str:
    try:
        return str(json.loads(contents[path][0])["parameters"]["seed"])
    except (KeyError, ValueError, TypeError):
        return "(not recorded)"


def _dataset_list(project: Project, contents: Mapping[str, tuple[bytes, int]]) -> str:
    rows = []
    for path in sorted(p for p in contents if p.startswith("data/")):
        digest = hashlib.sha256(contents[path][0]).hexdigest()[:16]
        rows.append(f"| `{path}` | {_describe_data_file(path)} | `{digest}...` |")
    return f"""
## Dataset list

Every data file in the package (SHA-256 abbreviated; `data/raw/SHA256SUMS` has the raw files' full sums).

| data file | what it is | sha256 |
| --- | --- | --- |
{chr(10).join(rows)}
"""


_DATA_FILES = {  # a data file's description: by its path, else by its ending, else by its folder
    "data/raw/SHA256SUMS": "checksums of the raw files",
    "data/raw/README.md": "description of the raw files",
    "data/recommendations.yml": "catalogue of recommendations the findings draw on",
    "data/codebooks/core.yml": "the shared instrument: constructs, items, answer labels",
    "data/interview_codes.yml": "interview code book: codes -> constructs of the instrument, both languages",
    ".truth.json": "the simulator's parameters and draws for this case",
    ".interviews.csv": "coded interview segments, one row per segment x coder x code (raw data; only ever read)",
    "data/raw/": "survey export (raw data; only ever read)",
    "data/cases/": "case description: place, framework, problems, recommendations, sample",
    "data/mappings/": "column mapping of a survey export onto the codebook",
    "data/codebooks/": "a case's own constructs, beside the shared core",
}


def _describe_data_file(path: str) -> str:
    if path in _DATA_FILES:
        return _DATA_FILES[path]
    ending = next((e for e in (".truth.json", ".interviews.csv") if path.endswith(e)), None)
    return _DATA_FILES[ending] if ending else _DATA_FILES.get(path.rsplit("/", 1)[0] + "/", "study input")


def _computational_requirements(contents: Mapping[str, tuple[bytes, int]]) -> str:
    locks = [name for name in LOCK_FILES if name in contents]
    deps = _dependencies(contents)
    pins = _lock_pins(contents[locks[0]][0].decode("utf-8")) if locks else {}
    listed = "\n".join(f"  - {d}" + (f" (locked at {pins[_norm(d)]})" if _norm(d) in pins else "") for d in deps)
    if locks:
        lock_text = (
            f"The exact environment is locked in {' and '.join(f'`{n}`' for n in locks)} (every package with its "
            f"version and hashes; {len(pins)} packages in `{locks[0]}`); the instructions below install from it."
        )
    else:
        lock_text = (
            "This package has no lock file: `pyproject.toml` gives lower bounds only, so a later install may "
            "resolve newer packages than the study was run with, and results may then differ in their last digits."
        )
    return f"""
## Computational requirements

### Software Requirements

- Python 3.11 (`pyproject.toml`: `requires-python = ">=3.11"`); pip and venv.
- The Python packages the package `emstudy` depends on (`pyproject.toml`):
{listed}
- No R, no Stata, no kernel registration, no environment variables: papermill runs the notebooks with the
  `python3` kernel of the environment that runs `emstudy`.

{lock_text}

### Controlled Randomness

- [x] Random seeds are set: the synthetic data are drawn with the study seed (`emstudy simulate --seed`,
  default 20190719, recorded in each `data/raw/<case>.truth.json`); resampling in the notebooks (parallel
  analysis) uses the `seed` parameter that `emstudy run --seed` passes to every notebook (default 20190719).

{_runtime(contents)}
"""


def _dependencies(contents: Mapping[str, tuple[bytes, int]]) -> list[str]:
    try:
        meta = tomllib.loads(contents["pyproject.toml"][0].decode("utf-8"))
        return list(meta["project"]["dependencies"])
    except (KeyError, ValueError):
        return []


def _norm(requirement: str) -> str:
    """A requirement's distribution name, normalised (PEP 503).

    Examples
    --------
    >>> _norm("scikit-learn>=1.9"), _norm("PyYAML==6.0.3")
    ('scikit-learn', 'pyyaml')
    """
    name = re.match(r"[A-Za-z0-9._-]+", requirement.strip())
    return re.sub(r"[-_.]+", "-", name.group(0)).lower() if name else ""


def _lock_pins(text: str) -> dict[str, str]:
    """``name==version`` lines of a lock file (pip-compile's and uv's format) by normalised name; a universal
    lock's versions for other Pythons or platforms are joined ("2.4.6 / 2.5.0")."""
    pins: dict[str, list[str]] = {}
    for line in text.splitlines():
        found = re.match(r"\s*([A-Za-z0-9._-]+)==([^\s;\\]+)", line)
        if found and found.group(2) not in pins.setdefault(_norm(found.group(1)), []):
            pins[_norm(found.group(1))].append(found.group(2))
    return {name: " / ".join(versions) for name, versions in pins.items()}


def _runtime(contents: Mapping[str, tuple[bytes, int]]) -> str:
    size = sum(len(data) for data, _ in contents.values())
    outputs = sum(len(data) for p, (data, _) in contents.items() if p.split("/", 1)[0] in OUTPUT_FOLDERS)
    try:
        bench = json.loads(contents[BENCHMARK][0])
        full, machine = float(bench["full_run_s"]), dict(bench.get("machine", {}))
    except (KeyError, ValueError, TypeError):
        bench = None
    if bench is None:
        measured = (
            f"No runtime is recorded in this package (`{BENCHMARK}` is missing or has no `full_run_s`); "
            "`python benchmarks/bench_study.py` measures it."
        )
    else:
        hardware = ", ".join(
            f"{k}: {machine[k]}" for k in ("cores", "cpu", "memory_gb", "platform", "python") if k in machine
        )
        cached = (
            f"; a rerun with nothing changed (cached) took {bench['cached_rerun_s']} s"
            if "cached_rerun_s" in bench
            else ""
        )
        measured = (
            f"The whole study (`emstudy run --force`, every notebook of every case, {bench.get('jobs', '?')} "
            f"parallel jobs) took **{full:.0f} s** (about {full / 60:.1f} min){cached}, as measured by "
            f"`benchmarks/bench_study.py` and recorded in `{BENCHMARK}`, on: {hardware or 'hardware not recorded'}. "
            "Memory use was not measured; expect the run to take longer with fewer cores."
        )
    return f"""
### Memory, Runtime, Storage Requirements

{measured}

- Storage: the unpacked package takes {size / 1e6:.1f} MB, of which {outputs / 1e6:.1f} MB are the outputs under
  `analysis/` and `reports/`; a virtual environment with the packages (and the test tools) took 0.9 GB.
- Tested on Linux (x86_64). The package has no operating-system-specific code, but the byte-for-byte check was
  made on Linux; another platform's numerical libraries may differ in the last digits.
"""


def _programs(project: Project, contents: Mapping[str, tuple[bytes, int]]) -> str:
    rows = []
    for path in sorted(p for p in contents if re.fullmatch(r"notebooks/[^/]+\.ipynb", p)):
        title, summary = _template_summary(contents[path][0])
        rows.append(f"| `{path}` | {title} | {summary} |")
    return f"""
## Description of programs/code

`emstudy run` executes the notebook templates below in number order: each per-case template once per case into
`analysis/<case>/`, each cross-case template once into `analysis/all/`; a template only calls the package.

| template | title | what it does |
| --- | --- | --- |
{chr(10).join(rows)}

The package `emstudy/` does the work: `stats` (formulas, tested against R), `survey` (instrument, readers,
simulator), `steps` (one module per notebook), `reporting`, `runner` (papermill, cache, this package) and `cli.py`
(the `emstudy` command); `tests/` holds the test suite, `benchmarks/` the speed scripts and their last results.

### License for Code

The code is licensed under the MIT licence (`LICENSE`). How to cite it: `CITATION.cff`.
"""


def _template_summary(data: bytes) -> tuple[str, str]:
    """The title and first sentence of a template's first Markdown cell."""
    try:
        cells = json.loads(data)["cells"]
        text = next("".join(c["source"]) for c in cells if c.get("cell_type") == "markdown")
    except (ValueError, KeyError, StopIteration):
        return "", ""
    lines = [line.strip() for line in text.splitlines()]
    title = lines[0].lstrip("# ").strip() if lines else ""
    body = re.split(r"(?<=[.?!])\s", " ".join(line for line in lines[1:] if line))[0]
    return title, body.replace("|", "/")


def _instructions(contents: Mapping[str, tuple[bytes, int]], *, name: str) -> str:
    if LOCK_FILES[0] in contents:
        install = (
            f"# the exact packages the study was run with, then emstudy itself and nothing else\n"
            f"pip install --require-hashes -r {LOCK_FILES[0]}\npip install --no-deps -e ."
        )
        tests = (
            f"To run the test suite as well, install `{LOCK_FILES[1]}` instead of `{LOCK_FILES[0]}`, then "
            "`pip install --no-deps -e .` and `pytest`."
            if LOCK_FILES[1] in contents
            else 'To run the test suite as well: `pip install -e ".[dev]"` and `pytest`.'
        )
    else:
        install = "# no lock file in this package (see Software Requirements)\npip install -e ."
        tests = 'To run the test suite as well: `pip install -e ".[dev]"` and `pytest`.'
    return f"""
## Instructions to Replicators

No git is needed. On a machine with Python 3.11:

```bash
# unpack (Windows: "Extract All"), then work in the package's folder
unzip {name}.zip && cd {name}
# a virtual environment (Windows: py -3.11 -m venv .venv, then .venv\\Scripts\\activate)
python3.11 -m venv .venv && . .venv/bin/activate
{install}
# check data/raw against its SHA256SUMS and run every notebook of every case
emstudy run --force
# compare every output with the committed bytes (macOS: shasum -a 256 -c OUTPUTS.sha256)
sha256sum -c --quiet {OUTPUTS_MANIFEST}
emstudy archive --check                 # the same check on any system, in Python
```

`emstudy run --force` rewrites every file under `analysis/` and `reports/` (it also writes
`reports/manifest.json` with the versions and durations of the run, which is not an output of the study and
not in `{OUTPUTS_MANIFEST}`). The two checks compare every output with the bytes committed at this package's
commit: no line printed by `sha256sum -c --quiet`, and `every output reproduced` from `emstudy archive --check`,
mean that the replication reproduced the study exactly; otherwise they name the files that differ.
{tests}

### Details on various programs

- `emstudy run --case ID` reruns one case, `--notebook NAME` one template, `--jobs N` sets the parallel jobs;
  without `--force`, notebooks whose inputs are unchanged are skipped.
- `emstudy verify` checks the raw data against `data/raw/SHA256SUMS` and reruns the executed notebooks under
  `pytest --nbval`, comparing their outputs cell by cell.
- `emstudy simulate --out DIR` regenerates the synthetic raw data in `DIR`; it writes the same bytes as
  `data/raw/`.
"""


def _exhibits(project: Project, contents: Mapping[str, tuple[bytes, int]]) -> str:
    exhibits = _find_exhibits(project, contents)
    groups = (
        ("Figures (`<name>.png` in English, `<name>.zh.png` in Chinese)", lambda p: p.startswith("reports/figures/")),
        ("Tables (results files)", lambda p: re.fullmatch(r"analysis/[^/]+/results/[^/]+", p) is not None),
        ("Reports, index pages, their font", lambda p: re.fullmatch(r"reports/(fonts/)?[^/]+", p) is not None),
    )
    parts = [
        "## List of tables and programs",
        "",
        "Every figure, results table and report, with the executed notebook that writes it (its template is "
        "`notebooks/<same name>`) and the cell of that notebook that names the file: cells count every cell from "
        "1, Markdown included, as JupyterLab shows them from the top; `In [n]` is the cell's execution count. "
        "The reports' tables are made from the results tables listed here.",
    ]
    for title, member in groups:
        rows = [e for e in exhibits if member(e.path)]
        parts += ["", f"### {title}", "", "| file | made by | cell |", "| --- | --- | --- |"]
        for e in rows:
            made_by = f"`{e.notebook}`" if e.notebook else "not declared by any notebook"
            parts.append(f"| `{e.path}` | {made_by} | {e.cell or '-'} |")
    return "\n".join(parts)


def _find_exhibits(project: Project, contents: Mapping[str, tuple[bytes, int]]) -> list[_Exhibit]:
    """Each output file (not a notebook) with the notebook whose task declares it (emstudy.runner.depends)."""
    from emstudy.runner.pipeline import plan_tasks

    maker = {
        path.relative_to(project.root).as_posix(): task.output.relative_to(project.root).as_posix()
        for task in plan_tasks(project, project.case_ids())
        for path in task.writes
    }
    cells: dict[str, list[tuple[str, str]]] = {}
    out = []
    for path in sorted(contents):
        if path.split("/", 1)[0] not in OUTPUT_FOLDERS or path.endswith(".ipynb"):
            continue
        notebook = maker.get(path, "")
        if notebook and notebook not in cells:
            cells[notebook] = _cell_texts(contents.get(notebook, (b"", 0))[0])
        out.append(_Exhibit(path, notebook, _naming_cell(cells.get(notebook, []), path)))
    return out


def _cell_texts(data: bytes) -> list[tuple[str, str]]:
    """Per cell of an executed notebook: its label ("cell 19 (In [11])") and the text of its source and outputs."""
    try:
        cells = json.loads(data)["cells"] if data else []
    except (ValueError, KeyError):
        return []
    found = []
    for number, cell in enumerate(cells, start=1):
        if cell.get("cell_type") != "code":
            continue
        texts = ["".join(cell.get("source", ""))]
        for output in cell.get("outputs", []):
            texts.append("".join(output.get("text", "")))
            texts.append("".join(output.get("data", {}).get("text/plain", "")))
        label = f"cell {number}" + (f" (In [{cell['execution_count']}])" if cell.get("execution_count") else "")
        found.append((label, "\n".join(texts)))
    return found


def _naming_cell(cells: Sequence[tuple[str, str]], path: str) -> str:
    """The first cell whose source or output names the file (by its name, not as part of a longer name).

    Examples
    --------
    >>> _naming_cell([("cell 3", "case_profile.png"), ("cell 5", "['profile.png']")], "a/figures/profile.png")
    'cell 5'
    """
    name = path.rsplit("/", 1)[-1]
    pattern = re.compile(rf"(?<![\w.-]){re.escape(name)}(?![\w-])")
    return next((label for label, text in cells if pattern.search(text)), "")


def _references(*, version: str, commit: str) -> str:
    return f"""
## References

- emstudy developers (this package): emstudy {version}, commit `{commit}`; see `CITATION.cff` for how to cite it.
- Vilhuber, L., Koren, M., Llull, J., Connolly, M., Morrow, P. (2020). A template README for social science
  replication packages (v1.0.0). Zenodo. https://doi.org/10.5281/zenodo.4319999
- The five master's theses the cases reconstruct are described in `data/cases/<case>.yml` and in each case
  report (`reports/<case>.md`); their raw responses are not public.
- The R packages psych (Revelle), lavaan (Rosseel, 2012, Journal of Statistical Software 48(2)) and semTools
  (Jorgensen et al.): the reference the tests compare with (`tests/reference/*.R`).
"""
