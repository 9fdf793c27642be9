"""Shared fixtures: the git-exp binary (built once per session unless $GIT_EXP_BIN names one), sealed
repositories, and helpers to run `git exp` and Python scripts the way a user would."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PY_DIR = Path(__file__).resolve().parent.parent  # python/
ROOT = PY_DIR.parent  # the git-exp checkout
sys.path.insert(0, str(PY_DIR))


def _sealed_env(home: Path, bindir: Path | None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_EXP_", "GIT_"))}
    env.pop("PYTHONPATH", None)
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(home / ".cache"),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="Test",
        GIT_AUTHOR_EMAIL="test@example.com",
        GIT_COMMITTER_NAME="Test",
        GIT_COMMITTER_EMAIL="test@example.com",
        PYTHONDONTWRITEBYTECODE="1",
    )
    if bindir is not None:
        env["PATH"] = str(bindir) + os.pathsep + env.get("PATH", "")
        env["GIT_EXP_BIN"] = str(bindir / "git-exp")
    return env


@pytest.fixture(scope="session")
def gitexp_bin(tmp_path_factory) -> Path:
    """The git-exp binary: $GIT_EXP_BIN (set by the Go test that drives this suite), else built with go build."""
    given = os.environ.get("GIT_EXP_BIN")
    if given:
        return Path(given)
    go = shutil.which("go")
    if go is None:
        pytest.skip("no git-exp binary: set GIT_EXP_BIN or put go on PATH")
    out = tmp_path_factory.mktemp("bin") / "git-exp"
    subprocess.run([go, "build", "-o", str(out), "./cmd/git-exp"], cwd=ROOT, check=True)
    return out


@pytest.fixture
def env(tmp_path, gitexp_bin) -> dict:
    """A sealed environment with git-exp on PATH (and as $GIT_EXP_BIN)."""
    home = tmp_path / "home"
    home.mkdir()
    return _sealed_env(home, gitexp_bin.parent)


@pytest.fixture
def bare_env(tmp_path) -> dict:
    """A sealed environment without git-exp."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    e = _sealed_env(home, None)
    e["PATH"] = os.pathsep.join(p for p in e.get("PATH", "").split(os.pathsep) if not (Path(p) / "git-exp").exists())
    return e


class Repo:
    """A git repository with helpers that run git, git exp and Python inside it."""

    def __init__(self, path: Path, env: dict):
        self.path = path
        self.env = env

    def git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(["git", *args], cwd=self.path, env=self.env, capture_output=True, text=True, check=check)

    def exp(self, *args: str, check: bool = True, env: dict | None = None) -> subprocess.CompletedProcess:
        p = subprocess.run(
            ["git", "exp", *args], cwd=self.path, env=env or self.env, capture_output=True, text=True
        )
        if check and p.returncode != 0:
            raise AssertionError(f"git exp {' '.join(args)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
        return p

    def write(self, name: str, text: str) -> Path:
        p = self.path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        return p

    def commit(self, *names: str) -> None:
        self.git("add", *(names or ["-A"]))
        self.git("commit", "-q", "-m", "test")

    def run_script(self, name: str, text: str, *args: str, check: bool = True, env: dict | None = None):
        """Commit a script and run it with git exp run; return (completed process, experiment dict)."""
        self.write(name, text)
        self.commit(name)
        p = self.exp("run", name, *args, check=check, env=env)
        last = json.loads(self.exp("list", "--json", "--limit=1").stdout)
        return p, (last[0] if last else None)

    def stored(self, exp_id: str, path: str) -> str:
        return self.git("cat-file", "-p", f"refs/experiments/main:{exp_id[:2]}/{exp_id}/{path}").stdout


@pytest.fixture
def repo(tmp_path, env, monkeypatch) -> Repo:
    # The reading API runs in this process: it finds the binary and a sealed HOME through os.environ.
    for k in ("GIT_EXP_BIN", "HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "GIT_CONFIG_NOSYSTEM"):
        monkeypatch.setenv(k, env[k])
    path = tmp_path / "repo"
    path.mkdir()
    r = Repo(path, env)
    r.git("init", "-q")
    r.write(".gitignore", "exp-out/\n")
    r.commit(".gitignore")
    return r


@pytest.fixture
def stderr() -> io.StringIO:
    return io.StringIO()


def python() -> str:
    """The interpreter running the tests (scripts started by the tests use it too)."""
    return sys.executable
