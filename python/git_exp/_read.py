"""The reading API: experiments, metrics and artifacts through the git-exp CLI's --json / jsonl output.

Nothing here reads the storage format itself; every call runs one ``git-exp`` command (which must be on PATH,
or named by $GIT_EXP_BIN) in the repository given as ``repo``.
"""

from __future__ import annotations

import json
import os
from typing import Any, Iterable, Iterator, List, Optional, Sequence, Union

from . import _binary
from ._client import AttrDict

PathLike = Union[str, "os.PathLike[str]"]
Strs = Union[str, Sequence[str], None]


def _many(v: Strs) -> List[str]:
    if v is None:
        return []
    if isinstance(v, str):
        return [v]
    return list(v)


def _filter_args(
    where: Strs = None,
    tag: Strs = None,
    status: Strs = None,
    batch: Optional[str] = None,
    name: Optional[str] = None,
    script: Optional[str] = None,
    since: Optional[str] = None,
    until: Optional[str] = None,
    archived: bool = False,
    sort: Strs = None,
) -> List[str]:
    args: List[str] = []
    for w in _many(where):
        args.append("--where=" + w)
    for t in _many(tag):
        args.append("--tag=" + t)
    st = _many(status)
    if st:
        args.append("--status=" + ",".join(st))
    for flag, v in (("--batch", batch), ("--name", name), ("--script", script), ("--since", since), ("--until", until)):
        if v:
            args.append(flag + "=" + v)
    if archived:
        args.append("--archived")
    so = _many(sort)
    if so:
        args.append("--sort=" + ",".join(so))
    return args


def _loads(data: Union[bytes, str]) -> Any:
    # Python's json reads the NaN / Infinity tokens git-exp writes for non-finite floats.
    return json.loads(data)


def _pandas():
    try:
        import pandas  # type: ignore[import-not-found]
    except ImportError:
        raise ImportError(
            "git_exp: this needs pandas (apt install python3-pandas, or pip install pandas); "
            "experiments() and metrics(as_frame=False) work without it"
        ) from None
    return pandas


class Experiment:
    """One experiment as ``git exp show --json`` describes it.

    Attributes: ``id``, ``short_id``, ``name``, ``status``, ``tags``, ``params`` and ``results`` (AttrDicts),
    ``created``/``started``/``ended`` (RFC 3339 strings), ``duration_s``, ``exit_code``, ``batch``, ``parent``,
    ``attempt``, and ``meta``: the whole JSON object (every documented field, ``git``, ``extra`` ...).
    """

    def __init__(self, meta: dict, repo: PathLike = "."):
        self.meta = meta
        self.repo = os.fspath(repo)
        self.id: str = meta.get("id", "")
        self.short_id: str = meta.get("short_id", self.id[:7])
        self.name: str = meta.get("name", "")
        self.status: str = meta.get("status", "")
        self.tags: List[str] = list(meta.get("tags") or [])
        self.params: AttrDict = AttrDict.wrap(meta.get("params") or {})
        self.results: AttrDict = AttrDict.wrap(meta.get("results") or {})
        self.created: Optional[str] = meta.get("created")
        self.started: Optional[str] = meta.get("started")
        self.ended: Optional[str] = meta.get("ended")
        self.duration_s: Optional[float] = meta.get("duration_s")
        self.exit_code: Optional[int] = meta.get("exit_code")
        self.batch: str = meta.get("batch", "") or ""
        self.parent: str = meta.get("parent", "") or ""
        self.attempt: int = meta.get("attempt") or 1

    def __repr__(self) -> str:
        return f"Experiment({self.short_id} {self.name!r} {self.status})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Experiment) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    def metrics(self, names: Strs = None, as_frame: bool = False) -> Any:
        """The metric series merged by step (``git exp metrics ID --json``): a list of dicts
        ``{"step", "time", <metric>: value}``, or a pandas DataFrame indexed by step when ``as_frame``."""
        rows = _loads(_binary.run(["metrics", "--json", self.id, *_many(names)], repo=self.repo)) or []
        if not as_frame:
            return rows
        pd = _pandas()
        df = pd.DataFrame.from_records(rows)
        if "step" in df.columns:
            df = df.set_index("step")
        return df

    def log(self, stderr: bool = False) -> str:
        """The captured stdout (or stderr) of the run, as text."""
        args = ["logs", self.id] + (["--stderr"] if stderr else [])
        return _binary.run(args, repo=self.repo).decode("utf-8", "replace")

    def artifacts(self) -> List[dict]:
        """The stored artifacts: ``[{"path", "size", "mode"}]``."""
        return _loads(_binary.run(["artifacts", "--json", self.id], repo=self.repo)) or []

    def artifact(self, path: str, to: Optional[PathLike] = None) -> Any:
        """One artifact's bytes; or, with ``to``, extract ``path`` (a file or a directory) into the directory
        ``to`` and return the extracted path."""
        if to is not None:
            _binary.run(["artifacts", self.id, path, "-o", os.fspath(to)], repo=self.repo)
            return os.path.join(os.fspath(to), path)
        import tempfile

        with tempfile.TemporaryDirectory(prefix="git-exp-artifact-") as tmp:
            _binary.run(["artifacts", self.id, path, "-o", tmp], repo=self.repo)
            target = os.path.join(tmp, path)
            if os.path.isdir(target):
                raise IsADirectoryError(f"git_exp: artifact {path!r} is a directory; pass to= to extract it")
            with open(target, "rb") as f:
                return f.read()

    def refresh(self) -> "Experiment":
        """Read the experiment again (its status may have changed)."""
        return get(self.id, repo=self.repo)


def get(id_or_name: str, repo: PathLike = ".") -> Experiment:
    """One experiment by full id, id prefix (4+ hex digits) or exact name (``git exp show --json``)."""
    return Experiment(_loads(_binary.run(["show", "--json", id_or_name], repo=repo)), repo)


def experiments(
    repo: PathLike = ".",
    where: Strs = None,
    tag: Strs = None,
    status: Strs = None,
    batch: Optional[str] = None,
    sort: Strs = None,
    limit: Optional[int] = None,
    name: Optional[str] = None,
    script: Optional[str] = None,
    since: Optional[str] = None,
    until: Optional[str] = None,
    archived: bool = False,
) -> List[Experiment]:
    """Experiments matching the filters, newest first (or as ``sort`` says), as :class:`Experiment` objects.

    The filters are the CLI's (``git exp list --help``): ``where`` expressions (a string or a list, all must
    hold), ``tag`` (all of), ``status`` (any of), ``batch``, ``name``/``script`` globs, ``since``/``until`` dates,
    ``archived``; ``sort`` keys (``"-results.acc"`` descending) and ``limit``.
    """
    args = ["list", "--json", "--all"] + _filter_args(where, tag, status, batch, name, script, since, until, archived, sort)
    if limit is not None:
        args.append(f"--limit={int(limit)}")
    return [Experiment(m, repo) for m in _loads(_binary.run(args, repo=repo)) or []]


def _export_rows(repo: PathLike, args: List[str], limit: Optional[int]) -> Iterator[dict]:
    n = 0
    if limit is not None and limit <= 0:
        return
    for line in _binary.stream_lines(["export", "--format=jsonl"] + args, repo=repo):
        if not line.strip():
            continue
        yield _loads(line)
        n += 1
        if limit is not None and n >= limit:
            return


def dataframe(
    repo: PathLike = ".",
    where: Strs = None,
    tag: Strs = None,
    status: Strs = None,
    batch: Optional[str] = None,
    sort: Strs = None,
    limit: Optional[int] = None,
    name: Optional[str] = None,
    script: Optional[str] = None,
    since: Optional[str] = None,
    until: Optional[str] = None,
    archived: bool = False,
    index: Optional[str] = "id",
) -> Any:
    """A pandas DataFrame, one row per experiment, with the columns of ``git exp export``: ``id``, ``name``,
    ``status``, ``created``, ..., ``params.<key>`` and ``results.<key>`` (nested keys dotted). One CLI call,
    streamed. Filters as for :func:`experiments`; ``index`` names the index column (None: a range index)."""
    pd = _pandas()
    args = _filter_args(where, tag, status, batch, name, script, since, until, archived, sort)
    rows = list(_export_rows(repo, args, limit))
    df = pd.DataFrame.from_records(rows)
    if index and index in df.columns:
        df = df.set_index(index)
    return df


def metrics_frame(ids: Union[str, Experiment, Iterable[Union[str, Experiment]]], repo: PathLike = ".") -> Any:
    """The metric series of several experiments in long form: a DataFrame with the columns
    ``id, step, time, metric, value`` (one row per logged value), ready for ``pivot_table`` or seaborn."""
    pd = _pandas()
    if isinstance(ids, (str, Experiment)):
        ids = [ids]
    records = []
    for e in ids:
        eid = e.id if isinstance(e, Experiment) else e
        exp_repo = e.repo if isinstance(e, Experiment) else repo
        full = eid
        for row in _loads(_binary.run(["metrics", "--json", eid], repo=exp_repo)) or []:
            step, t = row.get("step"), row.get("time")
            for k, v in row.items():
                if k not in ("step", "time"):
                    records.append((full, step, t, k, v))
    return pd.DataFrame.from_records(records, columns=["id", "step", "time", "metric", "value"])


def best(
    metric: str,
    mode: str = "max",
    repo: PathLike = ".",
    where: Strs = None,
    tag: Strs = None,
    status: Strs = "completed",
    batch: Optional[str] = None,
    name: Optional[str] = None,
) -> Optional[Experiment]:
    """The experiment with the largest (``mode="max"``) or smallest (``"min"``) value of ``metric`` — a result
    name (``"acc"`` means ``results.acc``) or any sortable key — among the completed ones matching the filters;
    None when none has it."""
    if mode not in ("max", "min"):
        raise ValueError(f"git_exp: best: mode must be 'max' or 'min', not {mode!r}")
    key = metric if "." in metric else "results." + metric
    # Experiments without the key (or with null) sort last either way: the first one has it, if any does.
    found = experiments(
        repo=repo, where=where, tag=tag, status=status, batch=batch, name=name,
        sort=("-" if mode == "max" else "") + key, limit=1,
    )
    if not found or _value_at(found[0], key) is None:
        return None
    return found[0]


def _value_at(e: Experiment, key: str) -> Any:
    head, _, rest = key.partition(".")
    cur: Any = {"params": e.params, "results": e.results, "meta": e.meta}.get(head)
    if cur is None:
        cur, rest = e.params, key
    for part in rest.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur
