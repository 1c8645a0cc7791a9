"""``emstudy archive``: the replication package, and CITATION.cff.

Packages are built from a ``git clone`` of the repository (``HEAD`` of the project fixture's tree: this
repository, or ``EMSTUDY_TEST_ROOT``), so uncommitted work in the developer's tree never enters them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
import yaml

import emstudy
from emstudy.cli import main
from emstudy.runner.archive import OUTPUTS_MANIFEST, REPLICATION_README, check_outputs, package_name

ROOT = Path(__file__).resolve().parents[1]

# the sections of the social-science data editors' template README, in its order
TEMPLATE_SECTIONS = [
    "## Overview",
    "## Data Availability and Provenance Statements",
    "### Statement about Rights",
    "### License for Data",
    "### Summary of Availability",
    "### Details on each Data Source",
    "## Dataset list",
    "## Computational requirements",
    "### Software Requirements",
    "### Controlled Randomness",
    "### Memory, Runtime, Storage Requirements",
    "## Description of programs/code",
    "### License for Code",
    "## Instructions to Replicators",
    "### Details on various programs",
    "## List of tables and programs",
    "## References",
]


def _in_git(root: Path) -> bool:
    if shutil.which("git") is None:
        return False
    return subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True).returncode == 0


pytestmark = pytest.mark.skipif(not _in_git(ROOT), reason="needs git and a repository (not an unpacked package)")


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-C", str(root), *args],
        capture_output=True,
        check=True,
    )
    return done.stdout.decode("utf-8")


def _clone(source: Path, dest: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(source), str(dest)], check=True, capture_output=True)
    return dest


def _emstudy(*args: str, cwd: Path, env: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "emstudy.cli", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory, project):
    """A clone of the repository and the package ``emstudy archive`` wrote from it, at the default place."""
    clone = _clone(project.root, tmp_path_factory.mktemp("archive") / "clone")
    assert main(["--root", str(clone), "archive"]) == 0
    commit = _git(clone, "rev-parse", "HEAD").strip()
    path = clone / "dist" / f"{package_name(emstudy.__version__, commit)}.zip"
    assert path.is_file()
    return clone, commit, path


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def test_the_package_holds_exactly_the_tracked_files_and_the_two_generated_ones(built):
    clone, commit, path = built
    prefix = package_name(emstudy.__version__, commit) + "/"
    tracked = _git(clone, "ls-files", "-z").split("\0")
    members = _members(path)
    assert set(members) == {prefix + p for p in tracked if p} | {prefix + REPLICATION_README, prefix + OUTPUTS_MANIFEST}
    for name in tracked:
        if name:
            assert members[prefix + name] == _git_bytes(clone, f"HEAD:{name}"), name
    assert "dist/" in (clone / ".gitignore").read_text(encoding="utf-8").splitlines()  # the package is not tracked
    assert _git(clone, "status", "--porcelain") == ""
    with zipfile.ZipFile(path) as archive:
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in archive.infolist()}
        dates = {i.date_time for i in archive.infolist()}
    assert modes[prefix + ".ci/run"] == 0o755 and modes[prefix + "README.md"] == 0o644
    stamp = int(_git(clone, "show", "-s", "--format=%ct", "HEAD"))
    assert dates == {time.gmtime(stamp - stamp % 2)[:6]}  # dated at the commit (zip: 2-s steps), not at packing


def _git_bytes(root: Path, spec: str) -> bytes:
    return subprocess.run(["git", "-C", str(root), "show", spec], capture_output=True, check=True).stdout


def test_two_packages_of_the_same_commit_are_byte_identical(built, tmp_path):
    clone, _, path = built
    other = _clone(clone, tmp_path / "other")  # other folder, other file times
    os.utime(other / "README.md", (1, 1))
    out = tmp_path / "again.zip"
    assert main(["--root", str(other), "archive", "--out", str(out)]) == 0
    assert out.read_bytes() == path.read_bytes()


def test_a_dirty_tree_or_no_repository_is_refused_in_one_line(tmp_path, project):
    clone = _clone(project.root, tmp_path / "clone")
    with (clone / "data" / "cases" / "yima.yml").open("a", encoding="utf-8") as fh:
        fh.write("# an uncommitted edit\n")
    done = _emstudy("--root", str(clone), "archive", cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"emstudy: error: {clone / 'data/cases/yima.yml'}: uncommitted changes")
    assert "commit (or stash) them" in done.stderr and "--allow-dirty" in done.stderr
    assert not (clone / "dist").exists()

    out = tmp_path / "dirty.zip"
    assert main(["--root", str(clone), "archive", "--allow-dirty", "--out", str(out)]) == 0
    members = _members(out)
    readme = next(v for k, v in members.items() if k.endswith("/" + REPLICATION_README)).decode("utf-8")
    assert "Built with `--allow-dirty`" in readme and "`data/cases/yima.yml`" in readme
    assert next(v for k, v in members.items() if k.endswith("/data/cases/yima.yml")).endswith(b"uncommitted edit\n")

    plain = tmp_path / "plain"  # a copy of the study that is no git repository
    for name in ("data", "notebooks"):
        shutil.copytree(project.root / name, plain / name)
    done = _emstudy("--root", str(plain), "archive", cwd=tmp_path)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert done.stderr.startswith(f"emstudy: error: {plain}: not in a git repository") and "clone" in done.stderr


def test_replication_readme_follows_the_template_and_lists_every_exhibit(built, tmp_path):
    clone, commit, path = built
    with zipfile.ZipFile(path) as archive:
        archive.extractall(tmp_path)
    package = tmp_path / package_name(emstudy.__version__, commit)
    readme = (package / REPLICATION_README).read_text(encoding="utf-8")
    headings = [line for line in readme.splitlines() if re.match(r"#{2,3} ", line)]
    assert [h for h in headings if h in TEMPLATE_SECTIONS] == TEMPLATE_SECTIONS
    assert commit in readme and "SYNTHETIC" in readme and "not public" in readme
    for case_id in ("chaoyang", "h_district", "wencheng", "xilinguole", "yima"):
        assert f"simulated from `data/cases/{case_id}.yml` with seed 20190719" in readme
    bench = json.loads((clone / "benchmarks" / "results_study.json").read_text(encoding="utf-8"))
    assert f"**{bench['full_run_s']:.0f} s**" in readme and "benchmarks/results_study.json" in readme
    assert f"cores: {bench['machine']['cores']}" in readme and "Python 3.11" in readme
    templates = sorted(p.name for p in (clone / "notebooks").glob("*.ipynb"))
    rows = [readme.index(f"| `notebooks/{name}` | {name[:2]} ") for name in templates]  # title from the template
    executed = {p.name for p in (clone / "analysis").glob("*/*.ipynb")}
    assert templates and set(templates) == executed and rows == sorted(rows)  # every program, in run order

    exhibits = sorted(  # figures, results tables, reports in every format, index pages and the web font
        p.relative_to(package).as_posix()
        for p in [*(package / "reports").rglob("*"), *package.glob("analysis/*/results/*")]
        if p.is_file()
    )
    assert len(exhibits) > 100
    for exhibit in exhibits:
        row = re.search(rf"^\| `{re.escape(exhibit)}` \| `(analysis/[^`]+\.ipynb)` \| cell (\d+) .*\|$", readme, re.M)
        assert row, f"{exhibit}: no row with its notebook and cell in {REPLICATION_README}"
        cells = json.loads((package / row.group(1)).read_text(encoding="utf-8"))["cells"]
        cell = cells[int(row.group(2)) - 1]
        text = json.dumps([cell["source"], cell.get("outputs", [])], ensure_ascii=False)
        assert exhibit.rsplit("/", 1)[-1] in text, (exhibit, row.group(0))  # that cell names the file
    assert "| `reports/figures/heatmap.png` | `analysis/all/05_compare.ipynb` |" in readme
    assert "| `reports/figures/heatmap.zh.png` | `analysis/all/05_compare.ipynb` |" in readme
    assert "| `reports/wencheng.zh.pdf` | `analysis/wencheng/07_findings.ipynb` |" in readme
    assert "| `reports/index.zh.html` | `analysis/all/08_summary.ipynb` |" in readme
    assert "| `reports/fonts/OFL.txt` | `analysis/all/08_summary.ipynb` |" in readme
    assert "| `analysis/yima/results/ordinal_drivers.csv` | `analysis/yima/04_drivers.ipynb` |" in readme

    outputs = [line.split("  ", 1) for line in (package / OUTPUTS_MANIFEST).read_text(encoding="utf-8").splitlines()]
    tracked = [p for p in _git(clone, "ls-files", "analysis", "reports").splitlines()]
    assert [p for _, p in outputs] == sorted(tracked)
    assert check_outputs(package) == []
    (package / "reports" / "yima.md").write_text("edited\n", encoding="utf-8")
    (package / "analysis" / "yima" / "results" / "ipa.csv").unlink()
    assert check_outputs(package) == ["analysis/yima/results/ipa.csv", "reports/yima.md"]
    assert main(["--root", str(package), "archive", "--check"]) == 1


def test_the_instructions_install_from_the_lock_files_when_the_package_has_them(built, tmp_path):
    clone = _clone(built[0], tmp_path / "clone")
    (clone / "requirements.lock").write_text("numpy==2.4.1 \\\n    --hash=sha256:00\npandas==3.1.0\n", encoding="utf-8")
    (clone / "requirements-dev.lock").write_text("numpy==2.4.1\npytest==9.2.0\n", encoding="utf-8")
    _git(clone, "add", "requirements.lock", "requirements-dev.lock")
    _git(clone, "commit", "-q", "-m", "locks")
    out = tmp_path / "locked.zip"
    assert main(["--root", str(clone), "archive", "--out", str(out)]) == 0
    readme = next(v for k, v in _members(out).items() if k.endswith("/" + REPLICATION_README)).decode("utf-8")
    assert "pip install --require-hashes -r requirements.lock\npip install --no-deps -e ." in readme
    assert "numpy>=2.4 (locked at 2.4.1)" in readme and "pandas>=3.1 (locked at 3.1.0)" in readme
    assert "install `requirements-dev.lock` instead" in readme and "has no lock file" not in readme


def test_the_study_reproduces_from_the_unpacked_package_alone(built, tmp_path):
    """Unpack the package into an empty folder (no .git) and follow its instructions: `emstudy run --force`,
    then compare every output with OUTPUTS.sha256. The run uses the current virtual environment (installing the
    lock into a new one is too slow for the suite), but the package's own code: PYTHONPATH puts the unpacked
    `emstudy` before the installed one, in the command and in the notebooks' kernels. About 1-2 minutes."""
    _, commit, path = built
    with zipfile.ZipFile(path) as archive:
        archive.extractall(tmp_path / "unpacked")
    package = tmp_path / "unpacked" / package_name(emstudy.__version__, commit)
    assert not (package / ".git").exists() and (package / REPLICATION_README).is_file()
    assert "emstudy run --force" in (package / REPLICATION_README).read_text(encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(package)}
    where = subprocess.run(
        [sys.executable, "-c", "import emstudy; print(emstudy.__file__)"], cwd=tmp_path, env=env, capture_output=True
    )
    assert Path(where.stdout.decode().strip()) == package / "emstudy" / "__init__.py"
    done = _emstudy("--root", str(package), "run", "--force", "--jobs", "2", cwd=package, env=env, timeout=1800)
    assert done.returncode == 0, done.stderr[-3000:]
    executed = len(list((package / "analysis").glob("*/*.ipynb")))  # every notebook of the study, none cached
    assert executed > 25 and f"{executed} notebook(s) executed, 0 unchanged" in done.stdout, done.stdout
    changed = []
    for line in (package / OUTPUTS_MANIFEST).read_text(encoding="utf-8").splitlines():
        digest, path_text = line.split("  ", 1)
        if hashlib.sha256((package / path_text).read_bytes()).hexdigest() != digest:
            changed.append(path_text)
    assert changed == [], f"{len(changed)} output(s) differ from the package's: {changed[:10]}"
    if shutil.which("sha256sum"):
        check = subprocess.run(["sha256sum", "-c", "--quiet", OUTPUTS_MANIFEST], cwd=package, capture_output=True)
        assert check.returncode == 0, check.stdout[-2000:]


# -- CITATION.cff ----------------------------------------------------------------------------------------------
def test_citation_file_has_the_required_keys_and_the_package_version():
    """cffconvert --validate passes on it (checked by hand: it is not a dependency); here the schema's required
    keys, and the facts that must stay in step with the package."""
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert {"cff-version", "message", "title", "authors"} <= set(cff)
    assert cff["cff-version"] == "1.2.0"
    assert str(cff["version"]) == emstudy.__version__
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert f'\nversion = "{cff["version"]}"\n' in pyproject
    assert cff["authors"] == [{"name": "emstudy developers"}]  # an entity: the repository names no person
    license_text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert cff["license"] == "MIT" and license_text.startswith("MIT License")
    assert "emstudy developers" in license_text
    assert "repository-code" not in cff  # the repository states no URL of its own
