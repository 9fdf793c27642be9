"""Detects a second copy of git_exp on the import path (a pip-installed one beside git-exp's bundled one)."""

from __future__ import annotations

import os
import sys

_warned = False


def _version_of(init_py: str) -> str | None:
    import re

    try:
        with open(init_py, encoding="utf-8") as f:
            m = re.search(r"""^__version__\s*=\s*["']([^"']+)["']""", f.read(4096), re.M)
    except OSError:
        return None
    return m.group(1) if m else None


def other_copies(this_file: str, version: str, path: list[str] | None = None) -> list[tuple[str, str]]:
    """Return (directory, version) of every other git_exp on the import path whose version differs."""
    here = os.path.realpath(os.path.dirname(this_file))
    found = []
    for entry in sys.path if path is None else path:
        d = os.path.join(entry or ".", "git_exp")
        init = os.path.join(d, "__init__.py")
        if not os.path.isfile(init) or os.path.realpath(d) == here:
            continue
        v = _version_of(init)
        if v is not None and v != version:
            found.append((d, v))
    return found


def check_other_copies(this_file: str, version: str) -> None:
    """Under `git exp run`, say once on stderr when another version of git_exp is importable too.

    `git exp run` appends git-exp's own copy of the package to PYTHONPATH (GIT_EXP_PYTHONPATH names that
    directory); a copy installed with pip is then a second one, which may not match the binary.
    """
    global _warned
    if _warned or not os.environ.get("GIT_EXP_ID") or not os.environ.get("GIT_EXP_PYTHONPATH"):
        return
    _warned = True
    others = other_copies(this_file, version)
    if others:
        where, v = others[0]
        sys.stderr.write(
            f"git_exp: using git_exp {version} from {os.path.dirname(os.path.dirname(this_file))}; "
            f"another version ({v}) is installed at {where} and is not used (pip install ./python from this "
            f"git-exp checkout, or pip uninstall git-exp, to have one version)\n"
        )
