"""``emstudy lab``: JupyterLab on the project, opened at notebooks/, stopped cleanly by Ctrl-C or SIGTERM."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from emstudy import cli

ROOT = Path(__file__).resolve().parents[1]


def test_lab_starts_jupyterlab_of_this_environment_at_notebooks(monkeypatch, capsys):
    seen = {}

    def fake_server(cmd, *, cwd):
        seen.update(cmd=cmd, cwd=cwd)
        return 0

    monkeypatch.setattr(cli, "_run_server", fake_server)
    args = ["--root", str(ROOT), "lab", "--no-browser", "--port", "9123", "--", "--ServerApp.ip=127.0.0.1"]
    assert cli.main(args) == 0
    assert seen["cmd"][:3] == [sys.executable, "-m", "jupyterlab"]  # the venv's JupyterLab and python3 kernel
    assert seen["cwd"] == ROOT
    options = seen["cmd"][3:]
    assert f"--ServerApp.root_dir={ROOT}" in options and "--LabApp.default_url=/lab/tree/notebooks" in options
    assert {"--no-browser", "--ServerApp.port=9123"} <= set(options) and options[-1] == "--ServerApp.ip=127.0.0.1"
    assert "scratch/" in capsys.readouterr().out


def test_lab_outside_a_project_is_one_line_and_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["lab"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("emstudy: error: ") and "not inside an emstudy project" in err and len(err.splitlines()) == 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, str, str]:
    """Status, final URL (after redirects) and body."""
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.geturl(), response.read().decode("utf-8")


def test_lab_serves_the_templates_and_stops_on_sigterm(tmp_path):
    project = tmp_path / "proj"
    (project / "data" / "codebooks").mkdir(parents=True)
    shutil.copytree(ROOT / "notebooks", project / "notebooks")
    port, token = _free_port(), "emstudy-test-token"
    extra = ["--", f"--IdentityProvider.token={token}", "--ServerApp.ip=127.0.0.1"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        extra.append("--allow-root")  # Jupyter refuses to run as root without it
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
    cmd = [sys.executable, "-m", "emstudy.cli", "--root", str(project), "lab", "--no-browser", "--port", str(port)]
    proc = subprocess.Popen([*cmd, *extra], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline, listing = time.monotonic() + 90, None
        while listing is None and time.monotonic() < deadline and proc.poll() is None:
            try:
                listing = json.loads(_get(f"{base}/api/contents/notebooks?token={token}")[2])
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.5)
        assert listing is not None, f"JupyterLab did not start: {proc.poll()=}"
        names = {entry["name"] for entry in listing["content"]}
        assert {p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")} <= names
        status, final_url, _ = _get(f"{base}/?token={token}")
        assert status == 200 and final_url.startswith(f"{base}/lab/tree/notebooks")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            out, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0
    assert "scratch/" in out
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        _get(f"{base}/api/contents?token={token}")  # the server stopped with the command
