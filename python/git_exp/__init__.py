"""git_exp: track a Python script as a git-exp experiment, and read experiments back.

Writing (inside a script run by ``git exp run train.py``, or bare with ``python train.py``)::

    import git_exp as exp

    cfg = exp.params({"lr": 0.01, "epochs": 10})     # resolved params over these defaults
    for epoch in range(cfg.epochs):
        exp.log({"loss": loss}, step=epoch)          # one JSON line in the metrics file
    exp.result("acc", acc)
    exp.save_artifact(b"...", "model.bin")           # stored with the experiment

Reading (from a notebook or another script; needs the ``git-exp`` binary on PATH)::

    df = exp.dataframe(where="results.acc >= 0.9")   # params.x / results.y columns
    best = exp.best("acc")
    best.metrics()

The writing half has the semantics of the Go library ``github.com/git-exp/git-exp/exp``, name for name.
Run bare (``GIT_EXP_ID`` not set), the same calls work: params from the defaults and ``config.yaml``
(resolved by the ``git-exp`` binary), metrics and results in ``./exp-out/``, which is said once on stderr.

Only the standard library is used; pandas is needed only for the DataFrame helpers.
"""

from __future__ import annotations

__version__ = "0.1.0"

from ._client import (  # noqa: E402
    AttrDict,
    Client,
    attempt,
    checkpoint,
    close,
    default_client,
    flush,
    id,
    is_tracked,
    log,
    name,
    out_dir,
    param,
    params,
    parent,
    repo,
    result,
    results,
    save_artifact,
    save_figure,
)
from ._binary import GitExpError, GitExpNotFound  # noqa: E402

__all__ = [
    "__version__",
    # writing
    "AttrDict",
    "Client",
    "attempt",
    "checkpoint",
    "close",
    "default_client",
    "flush",
    "id",
    "is_tracked",
    "log",
    "name",
    "out_dir",
    "param",
    "params",
    "parent",
    "repo",
    "result",
    "results",
    "save_artifact",
    "save_figure",
    # registry
    "register",
    "build",
    # reading
    "Experiment",
    "experiments",
    "get",
    "dataframe",
    "metrics_frame",
    "best",
    # errors
    "GitExpError",
    "GitExpNotFound",
]

_LAZY = {
    "register": "registry",
    "build": "registry",
    "Experiment": "_read",
    "experiments": "_read",
    "get": "_read",
    "dataframe": "_read",
    "metrics_frame": "_read",
    "best": "_read",
}


def __getattr__(attr: str):
    # The reading API and the registry load on first use, so that `import git_exp` stays cheap.
    mod = _LAZY.get(attr)
    if mod is None:
        raise AttributeError(f"module 'git_exp' has no attribute {attr!r}")
    import importlib

    value = getattr(importlib.import_module("." + mod, __name__), attr)
    globals()[attr] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))


from ._embedded import check_other_copies as _check_other_copies  # noqa: E402

_check_other_copies(__file__, __version__)
