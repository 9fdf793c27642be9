"""Finding and calling the git-exp binary (config resolution in bare runs, and the whole reading API)."""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Iterator, Sequence


class GitExpNotFound(RuntimeError):
    """The git-exp binary is not on PATH (nor named by $GIT_EXP_BIN)."""


class GitExpError(RuntimeError):
    """A git-exp command failed; the message is its own (one line saying what is wrong)."""

    def __init__(self, message: str, returncode: int = 1):
        super().__init__(message)
        self.returncode = returncode


def binary() -> str:
    """Return the path of the git-exp binary: $GIT_EXP_BIN, else `git-exp` on PATH or in git's exec path."""
    explicit = os.environ.get("GIT_EXP_BIN")
    if explicit:
        return explicit
    import shutil

    found = shutil.which("git-exp")
    if found:
        return found
    # Installed beside git's own commands (git --exec-path), where `git exp` finds it too.
    git = shutil.which("git")
    if git:
        import subprocess

        p = subprocess.run([git, "--exec-path"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        cand = os.path.join(p.stdout.strip(), "git-exp")
        if p.returncode == 0 and os.access(cand, os.X_OK):
            return cand
    raise GitExpNotFound(
        "git_exp: the git-exp binary is not on PATH: install it (go install ./cmd/git-exp from a git-exp "
        "checkout, then add $(go env GOPATH)/bin to PATH) or set GIT_EXP_BIN to its path"
    )


def _message(stderr: bytes, args: Sequence[str], code: int) -> str:
    text = stderr.decode("utf-8", "replace").strip()
    if not text:
        return f"git exp {' '.join(args)}: exit status {code}"
    return text


def run(args: Sequence[str], repo: str | os.PathLike | None = None, env: dict | None = None) -> bytes:
    """Run git-exp with args (in repo, if given) and return its stdout; raise GitExpError on failure."""
    import subprocess

    argv = [binary()]
    if repo is not None:
        argv += ["-C", os.fspath(repo)]
    argv += list(args)
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    except OSError as e:
        raise GitExpNotFound(f"git_exp: cannot run {argv[0]}: {e.strerror or e} (check GIT_EXP_BIN or PATH)") from None
    if p.returncode != 0:
        raise GitExpError(_message(p.stderr, args, p.returncode), p.returncode)
    return p.stdout


def stream_lines(args: Sequence[str], repo: str | os.PathLike | None = None) -> Iterator[bytes]:
    """Run git-exp and yield its stdout line by line as it comes (constant memory)."""
    import subprocess

    argv = [binary()]
    if repo is not None:
        argv += ["-C", os.fspath(repo)]
    argv += list(args)
    import tempfile

    errf = tempfile.TemporaryFile()  # a file, not a pipe: a chatty stderr cannot stall the stream
    try:
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errf)
    except OSError as e:
        errf.close()
        raise GitExpNotFound(f"git_exp: cannot run {argv[0]}: {e.strerror or e} (check GIT_EXP_BIN or PATH)") from None
    complete = False
    try:
        assert p.stdout is not None
        for line in p.stdout:
            yield line
        complete = True
    finally:
        if not complete:
            p.kill()
        p.stdout.close()  # type: ignore[union-attr]
        code = p.wait()
        errf.seek(0)
        err = errf.read()
        errf.close()
    if complete and code != 0:
        raise GitExpError(_message(err, args, code), code)
