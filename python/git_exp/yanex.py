"""Run a script written for yanex under ``git exp run`` by changing only its import line::

    import git_exp.yanex as yanex      # was: import yanex

    lr = yanex.get_param("lr", 0.01)
    yanex.log_metrics({"loss": 0.3}, step=1)
    yanex.save_artifact({"acc": 0.9}, "summary.json")

The functions keep yanex's names and signatures (yanex 0.6 ``yanex/api.py``) and map onto git_exp:

- ``get_params()`` / ``get_param(key, default)`` — the resolved params (dotted keys work). Unlike yanex, a bare
  run (``python script.py``) reads ``config.yaml`` and GIT_EXP_PARAM_* too, as every git_exp script does.
- ``log_metrics(data, step=None)`` / ``log_results`` (yanex's deprecated alias) — :func:`git_exp.log`. Unlike
  yanex, a bare run writes them to ./exp-out/ rather than dropping them.
- ``save_artifact(obj, filename, saver=None, **kwargs)`` — the format follows the extension, as in yanex:
  .txt, .json, .jsonl, .csv, .pkl, .npy/.npz (numpy), .pt/.pth (torch), .png/.pdf/.svg/.jpg (matplotlib); a
  ``saver(obj, path, **kwargs)`` handles anything else.
- ``copy_artifact(src_path, filename=None)``, ``load_artifact(filename, loader=None)``,
  ``artifact_exists(filename)``, ``list_artifacts()``, ``get_artifacts_dir()``.
- ``get_experiment_id()`` (None bare), ``is_standalone()``, ``has_context()``, ``get_metadata()``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Union

from . import _client as _c

__all__ = [
    "get_params",
    "get_param",
    "log_metrics",
    "log_results",
    "save_artifact",
    "copy_artifact",
    "load_artifact",
    "artifact_exists",
    "list_artifacts",
    "get_artifacts_dir",
    "get_experiment_id",
    "get_metadata",
    "is_standalone",
    "has_context",
]


def get_params() -> Dict[str, Any]:
    """The experiment's parameters (a dict with attribute access)."""
    return _c.params()


def get_param(key: str, default: Any = None) -> Any:
    """One parameter by key, dotted keys reaching into nested ones; ``default`` when it is not set."""
    return _c.param(key, default)


def log_metrics(data: Dict[str, Any], step: Optional[int] = None) -> None:
    """Log metrics for a step (one past the largest so far when None; the same step merges)."""
    if step is not None and (not isinstance(step, int) or isinstance(step, bool)):
        raise TypeError(f"step parameter must be an int or None, got {type(step).__name__}")
    _c.log(data, step=step)


def log_results(data: Dict[str, Any], step: Optional[int] = None) -> None:
    """Deprecated in yanex in favour of log_metrics; the same here."""
    log_metrics(data, step)


def get_experiment_id() -> Optional[str]:
    """The experiment id, or None when not run by ``git exp run``."""
    return _c.id() or None


def is_standalone() -> bool:
    """True when not run by ``git exp run``."""
    return not _c.is_tracked()


def has_context() -> bool:
    """True when run by ``git exp run``."""
    return _c.is_tracked()


def get_metadata() -> Dict[str, Any]:
    """What the script knows of its experiment: id, name, attempt, parent, repo (empty bare)."""
    if not _c.is_tracked():
        return {}
    return {"id": _c.id(), "name": _c.name(), "attempt": _c.attempt(), "parent": _c.parent(), "repo": _c.repo()}


def get_artifacts_dir() -> Optional[Path]:
    """The artifact directory, or None in a bare run (as in yanex)."""
    return Path(_c.out_dir()) if _c.is_tracked() else None


def _path(filename: str) -> str:
    return _c.default_client()._dest(filename)


def copy_artifact(src_path: Union[Path, str], filename: Optional[str] = None) -> None:
    """Copy an existing file into the artifacts (named ``filename``, default its own name)."""
    p = Path(src_path)
    if not p.exists():
        raise FileNotFoundError(f"Source file not found: {p}")
    if not p.is_file():
        raise ValueError(f"Source path is not a file: {p}")
    _c.save_artifact(str(p), filename or p.name)


def _savefig(obj: Any, path: str, **kw: Any) -> None:
    if not hasattr(obj, "savefig"):
        raise TypeError(f"{Path(path).suffix} artifacts need a matplotlib figure, not {type(obj).__name__}")
    obj.savefig(path, **kw)


def _save_csv(obj: Any, path: str, **kw: Any) -> None:
    if hasattr(obj, "to_csv"):
        kw.setdefault("index", False)
        obj.to_csv(path, **kw)
        return
    if not isinstance(obj, list) or not all(isinstance(r, dict) for r in obj):
        raise TypeError(f".csv artifacts need a pandas DataFrame or a list of dicts, not {type(obj).__name__}")
    import csv

    fields: List[str] = []
    for r in obj:
        fields += [k for k in r if k not in fields]
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields, **kw)
        w.writeheader()
        w.writerows(obj)


def _save_text(obj: Any, path: str, **kw: Any) -> None:
    if not isinstance(obj, str):
        raise TypeError(f".txt artifacts need a str, not {type(obj).__name__}")
    with open(path, "w", encoding="utf-8") as f:
        f.write(obj)


def _save_json(obj: Any, path: str, **kw: Any) -> None:
    kw.setdefault("indent", 2)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, default=_c._plain, **kw)


def _save_jsonl(obj: Any, path: str, **kw: Any) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for row in obj:
            f.write(json.dumps(row, default=_c._plain, **kw) + "\n")


def _save_pickle(obj: Any, path: str, **kw: Any) -> None:
    import pickle

    with open(path, "wb") as f:
        pickle.dump(obj, f, **kw)


def _save_npy(obj: Any, path: str, **kw: Any) -> None:
    import numpy  # type: ignore[import-not-found]

    numpy.save(path, obj, **kw)


def _save_npz(obj: Any, path: str, compressed: bool = False, **kw: Any) -> None:
    import numpy  # type: ignore[import-not-found]

    (numpy.savez_compressed if compressed else numpy.savez)(path, **obj)


def _save_torch(obj: Any, path: str, **kw: Any) -> None:
    import torch  # type: ignore[import-not-found]

    torch.save(obj, path, **kw)


_SAVERS: Dict[str, Callable[..., None]] = {
    ".txt": _save_text,
    ".json": _save_json,
    ".jsonl": _save_jsonl,
    ".csv": _save_csv,
    ".pkl": _save_pickle,
    ".pickle": _save_pickle,
    ".npy": _save_npy,
    ".npz": _save_npz,
    ".pt": _save_torch,
    ".pth": _save_torch,
    ".png": _savefig,
    ".pdf": _savefig,
    ".svg": _savefig,
    ".jpg": _savefig,
    ".jpeg": _savefig,
}


def save_artifact(obj: Any, filename: str, saver: Optional[Callable[..., None]] = None, **kwargs: Any) -> None:
    """Save a Python object as an artifact, in the format its extension names (or with ``saver``)."""
    fn = saver or _SAVERS.get(Path(filename).suffix.lower())
    if fn is None:
        raise ValueError(
            f"Cannot auto-detect the format of {filename!r}; supported: {', '.join(sorted(_SAVERS))}; "
            "or pass saver=fn(obj, path, **kwargs)"
        )
    fn(obj, _path(filename), **kwargs)


def _load(path: str) -> Any:
    ext = Path(path).suffix.lower()
    if ext == ".txt":
        return Path(path).read_text(encoding="utf-8")
    if ext == ".json":
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    if ext == ".jsonl":
        with open(path, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]
    if ext == ".csv":
        try:
            import pandas  # type: ignore[import-not-found]

            return pandas.read_csv(path)
        except ImportError:
            import csv

            with open(path, newline="", encoding="utf-8") as f:
                return list(csv.DictReader(f))
    if ext in (".pkl", ".pickle"):
        import pickle

        with open(path, "rb") as f:
            return pickle.load(f)
    if ext in (".npy", ".npz"):
        import numpy  # type: ignore[import-not-found]

        return numpy.load(path)
    if ext in (".pt", ".pth"):
        import torch  # type: ignore[import-not-found]

        return torch.load(path)
    raise ValueError(f"Cannot auto-detect the format of {path!r}; pass loader=fn(path)")


def load_artifact(filename: str, loader: Optional[Callable[[str], Any]] = None, format: Optional[str] = None) -> Any:
    """Load an artifact of this run (by extension, or with ``loader``); None when it does not exist."""
    path = os.path.join(_c.out_dir(), filename)
    if not os.path.exists(path):
        return None
    if loader is not None:
        return loader(path)
    return _load(path)


def artifact_exists(filename: str) -> bool:
    """True when this run has stored an artifact of that name."""
    return os.path.exists(os.path.join(_c.out_dir(), filename))


def list_artifacts(transitive: bool = False) -> Any:
    """The artifacts this run has stored, sorted (transitive=True: ``{id or "local": [...]}``)."""
    out = _c.out_dir()
    names = []
    for root, dirs, files in os.walk(out):
        dirs[:] = [d for d in dirs if d != _c.CHECKPOINT_DIR]
        for f in files:
            names.append(os.path.relpath(os.path.join(root, f), out).replace(os.sep, "/"))
    names.sort()
    if transitive:
        return {(_c.id() or "local"): names}
    return names
