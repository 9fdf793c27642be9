"""The writing API: one experiment run as seen from inside the script (the Go library's exp.Client)."""

from __future__ import annotations

import os
import sys
import time
from _collections_abc import Mapping  # (loaded at startup already: `import git_exp` stays cheap)
from _thread import RLock, allocate_lock

try:
    from _json import encode_basestring as _encode_str
except ImportError:  # not CPython
    from json.encoder import encode_basestring as _encode_str  # type: ignore[no-redef]

TYPE_CHECKING = False
if TYPE_CHECKING:
    import threading
    from typing import Any, Callable

# Protocol variables set by `git exp run` (DESIGN.md §4).
ENV_ID = "GIT_EXP_ID"
ENV_NAME = "GIT_EXP_NAME"
ENV_OUT = "GIT_EXP_OUT"
ENV_PARAMS = "GIT_EXP_PARAMS"
ENV_METRICS = "GIT_EXP_METRICS"
ENV_RESULTS = "GIT_EXP_RESULTS"
ENV_REPO = "GIT_EXP_REPO"
ENV_ATTEMPT = "GIT_EXP_ATTEMPT"
ENV_PARENT = "GIT_EXP_PARENT"

BARE_DIR = "exp-out"
"""Where a bare run (no ``git exp run``) writes, relative to the working directory."""

FLUSH_INTERVAL = 1.0
"""Seconds a logged point may wait in memory before it is written to the metrics file."""

BUFFER_SIZE = 64 << 10
"""Bytes of logged lines held before they are written (always whole lines, in one write)."""

CHECKPOINT_DIR = ".checkpoints"

_BARE_NOTICE = (
    "git_exp: not running under git exp; writing metrics to " + BARE_DIR + "/ (run with 'git exp run' to track this run)\n"
)

_INF = float("inf")
_I64 = 1 << 63


class AttrDict(dict):
    """A dict whose keys are also attributes: ``cfg.model.lr`` is ``cfg["model"]["lr"]``."""

    __slots__ = ()

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(f"no parameter {key!r} (have: {', '.join(sorted(self)) or 'none'})") from None

    def __setattr__(self, key: str, value: Any) -> None:
        self[key] = value

    def __delattr__(self, key: str) -> None:
        try:
            del self[key]
        except KeyError:
            raise AttributeError(key) from None

    @classmethod
    def wrap(cls, v: Any) -> Any:
        """Return v with every nested dict turned into an AttrDict (lists are copied)."""
        if isinstance(v, dict):
            return cls({k: cls.wrap(e) for k, e in v.items()})
        if isinstance(v, list):
            return [cls.wrap(e) for e in v]
        return v


def _merge(dst: dict, src: Mapping) -> dict:
    """Merge src into dst: nested dicts recursively, anything else replaced (Go's mergeInto)."""
    for k, v in src.items():
        if isinstance(v, Mapping) and isinstance(dst.get(k), dict):
            _merge(dst[k], v)
        else:
            dst[k] = _copy(v)
    return dst


def _copy(v: Any) -> Any:
    if isinstance(v, Mapping):
        return {k: _copy(e) for k, e in v.items()}
    if isinstance(v, list):
        return [_copy(e) for e in v]
    return v


def _plain(v: Any) -> Any:
    """JSON default hook: numpy/torch scalars and arrays become Python numbers and lists."""
    if hasattr(v, "item") and getattr(v, "ndim", 0) == 0:
        return v.item()
    if hasattr(v, "tolist"):
        return v.tolist()
    if isinstance(v, (set, frozenset, tuple)):
        return list(v)
    raise TypeError(f"{type(v).__name__} is not a JSON value (want numbers, strings, bools, None, lists, dicts)")


def _float_text(x: float) -> str:
    if x != x:
        return "NaN"
    if x == _INF:
        return "Infinity"
    if x == -_INF:
        return "-Infinity"
    return float.__repr__(x)


class _TimeText:
    """RFC 3339 UTC time with nanoseconds, as Go's time.RFC3339Nano writes it; the seconds part is cached."""

    __slots__ = ("sec", "prefix")

    def __init__(self) -> None:
        self.sec = -1
        self.prefix = ""

    def now(self) -> str:
        ns = time.time_ns()
        sec, frac = divmod(ns, 1_000_000_000)
        if sec != self.sec:
            self.sec = sec
            self.prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec))
        if frac == 0:
            return self.prefix + "Z"
        return self.prefix + ("." + "%09d" % frac).rstrip("0") + "Z"


def _check_name(name: str) -> None:
    ok = 0 < len(name) <= 200 and name[0] != "."
    if ok:
        for ch in name:
            if not (ch.isascii() and (ch.isalnum() or ch in "._-")):
                ok = False
                break
    if not ok:
        raise ValueError(
            f"git_exp: invalid checkpoint name {name!r}: use letters, digits, '.', '_' and '-', not starting with '.'"
        )


class Client:
    """One experiment run as seen from inside the program: params, metrics, results, artifacts, checkpoints.

    Most scripts use the module-level functions, which use :func:`default_client`. A Client reads the run
    protocol from ``environ`` (default: ``os.environ``) when created, resolving paths against ``cwd``
    (default: the current directory); nothing is read or written until first used. It is safe to use from
    several threads at once.
    """

    def __init__(self, environ: Mapping[str, str] | None = None, stderr: Any = None, cwd: str | None = None):
        env = dict(os.environ if environ is None else environ)
        self._environ = env
        self._stderr = stderr
        self._cwd = os.path.abspath(cwd or os.getcwd())
        self._id = env.get(ENV_ID, "")
        self._tracked = self._id != ""
        self._name = env.get(ENV_NAME, "")
        self._repo = env.get(ENV_REPO, "")
        self._parent = env.get(ENV_PARENT, "")
        try:
            a = int(env.get(ENV_ATTEMPT, ""))
        except ValueError:
            a = 1
        self._attempt = a if a > 0 else 1
        self._missing: list[str] = []
        bare = os.path.join(self._cwd, BARE_DIR)

        def abspath(p: str) -> str:
            return p if os.path.isabs(p) else os.path.join(self._cwd, p)

        if not self._tracked:
            self._out = os.path.join(bare, "artifacts")
            self._metrics_path = os.path.join(bare, "metrics.jsonl")
            self._results_path = os.path.join(bare, "results.json")
            self._params_path = ""
            if not self._name:
                self._name = os.path.splitext(os.path.basename(sys.argv[0] if sys.argv and sys.argv[0] else "python"))[0]
        else:

            def pick(var: str, fallback: str) -> str:
                v = env.get(var, "")
                if v:
                    return abspath(v)
                self._missing.append(var)
                return fallback

            self._out = pick(ENV_OUT, os.path.join(bare, "artifacts"))
            self._metrics_path = pick(ENV_METRICS, os.path.join(bare, "metrics.jsonl"))
            self._results_path = pick(ENV_RESULTS, os.path.join(bare, "results.json"))
            p = env.get(ENV_PARAMS, "")
            self._params_path = abspath(p) if p else ""

        self._lock = RLock()
        self._started = False
        self._params: dict | None = None
        self._out_made = False
        self._restored: set[str] = set()
        self._results: dict | None = None
        # metrics writer
        self._fd = -1
        self._buf: list[str] = []
        self._buffered = 0
        self._scanned = False
        self._have = False
        self._max = 0
        self._err: BaseException | None = None
        self._timer: threading.Timer | None = None
        self._keys: dict[str, str] = {}
        self._clock = _TimeText()
        self._atexit = False
        _track_for_fork(self)

    # -- identity -------------------------------------------------------------------------------------

    def is_tracked(self) -> bool:
        """True when the script runs under ``git exp run`` (GIT_EXP_ID is set), False in a bare run."""
        return self._tracked

    def id(self) -> str:
        """The experiment's id (16 hex digits), or "" in a bare run."""
        return self._id

    def name(self) -> str:
        """The experiment's name; in a bare run GIT_EXP_NAME if set, else the script's base name."""
        return self._name

    def attempt(self) -> int:
        """1 for a first run; 2, 3, ... each time the experiment is continued (GIT_EXP_ATTEMPT)."""
        return self._attempt

    def parent(self) -> str:
        """The id of the experiment this one reruns or continues, or ""."""
        return self._parent

    def repo(self) -> str:
        """The repository root (GIT_EXP_REPO), or "" in a bare run."""
        return self._repo

    # -- mode -----------------------------------------------------------------------------------------

    def _write_err(self, text: str) -> None:
        (self._stderr or sys.stderr).write(text)

    def _after_fork_in_child(self) -> None:
        # A forked child (multiprocessing, DataLoader workers) starts with a copy of the parent's buffer: those
        # lines are the parent's to write. The child keeps logging to the same file, under a fresh lock.
        self._lock = RLock()
        self._buf = []
        self._buffered = 0
        self._timer = None

    def _start(self) -> None:
        # Once, on the first use of anything that depends on the mode. Lock held.
        if self._started:
            return
        self._started = True
        if not self._tracked:
            self._write_err(_BARE_NOTICE)
            for p in (self._metrics_path, self._results_path):
                try:
                    os.remove(p)
                except FileNotFoundError:
                    pass
            import shutil

            shutil.rmtree(os.path.join(self._out, CHECKPOINT_DIR), ignore_errors=True)
            return
        for var in self._missing:
            self._write_err(f"git_exp: {var} is not set although {ENV_ID} is; writing to {BARE_DIR}/ instead\n")

    # -- params ---------------------------------------------------------------------------------------

    def _load_params(self) -> dict:
        with self._lock:
            self._start()
            if self._params is None:
                self._params = self._read_params()
            return self._params

    def _read_params(self) -> dict:
        import json

        if self._tracked:
            if not self._params_path:
                return {}
            with open(self._params_path, "rb") as f:
                data = f.read()
            v = json.loads(data) if data.strip() else None
            if v is None:
                return {}
            if not isinstance(v, dict):
                raise ValueError(f"git_exp: params file {self._params_path} does not hold a JSON object")
            return v
        # Bare: config.yaml at the repository root and GIT_EXP_PARAM_* variables, resolved by the binary
        # (one implementation of the config rules for both languages). Nothing to resolve, no binary needed.
        root = _repo_root(self._cwd)
        has_env = any(k.startswith("GIT_EXP_PARAM_") for k in self._environ)
        if not has_env and not os.path.exists(os.path.join(root, "config.yaml")):
            return {}
        from . import _binary

        try:
            out = _binary.run(["params", "--root", root], env=self._environ)
        except _binary.GitExpNotFound as e:
            raise _binary.GitExpNotFound(
                f"{e} (a bare run needs it to read {os.path.join(root, 'config.yaml')} and GIT_EXP_PARAM_* "
                "variables)"
            ) from None
        v = json.loads(out)
        return v if isinstance(v, dict) else {}

    def params(self, defaults: Any = None, allow_unknown: bool = False) -> Any:
        """Return the resolved params merged over ``defaults``.

        ``defaults`` may be None or a dict — the result is then an :class:`AttrDict` (nested dicts merged, keys
        the params do not set keep their default) — or a dataclass instance or class, which is returned as a new
        instance with the params decoded onto it (see :func:`decode`); a param matching no field is then an error
        unless ``allow_unknown``.

        Under ``git exp run`` the params are those recorded for the experiment (GIT_EXP_PARAMS). In a bare run
        they are ``config.yaml`` at the repository root overlaid with GIT_EXP_PARAM_<key> variables, resolved by
        the git-exp binary (needed only when either exists).
        """
        p = self._load_params()
        if defaults is None or isinstance(defaults, Mapping):
            return AttrDict.wrap(_merge(_copy(dict(defaults or {})), p))
        from ._decode import decode

        return decode(defaults, p, allow_unknown=allow_unknown)

    def param(self, key: str, default: Any = None) -> Any:
        """Return one param by dotted key (``"model.lr"``), or ``default`` when it is not set."""
        cur: Any = self._load_params()
        if key in cur:
            return AttrDict.wrap(cur[key])
        for part in key.split("."):
            if not isinstance(cur, dict) or part not in cur:
                return default
            cur = cur[part]
        return AttrDict.wrap(cur)

    # -- metrics --------------------------------------------------------------------------------------

    def log(self, metrics: Mapping[str, Any] | None = None, step: int | None = None, **kw: Any) -> None:
        """Append one point to the metrics file: the metrics, the step and the current time.

        Values are ints, floats, bools or strings (numpy/torch scalars are converted); a float stays a float
        (``1.0``) and an int an int. NaN and infinities are written as the JSON tokens ``NaN``, ``Infinity``,
        ``-Infinity``. The names "step" and "time" are reserved. Without ``step`` the point gets one past the
        largest step logged so far (0 for the first); logging the same step again adds another line for it,
        which readers merge (later keys winning). A point with an invalid value is not written at all.

        Points are buffered and written, as whole lines, at most FLUSH_INTERVAL later, when the buffer fills,
        or on flush(), result(), results(), a checkpoint and close() (also at exit).
        """
        if kw:
            metrics = {**(metrics or {}), **kw}
        elif metrics is None:
            metrics = {}
        if step is not None:
            if type(step) is not int:
                if isinstance(step, bool) or not hasattr(step, "__index__"):
                    raise TypeError(f"git_exp: log: step must be an int, not {type(step).__name__}")
                step = step.__index__()
            if step < 0:
                raise ValueError(f"git_exp: log: step {step} is negative")
        keys = self._keys
        parts = []
        for k in sorted(metrics):
            ek = keys.get(k)
            if ek is None:
                if not isinstance(k, str) or k == "":
                    raise ValueError(f"git_exp: log: invalid metric name {k!r}")
                if k in ("step", "time"):
                    raise ValueError(f"git_exp: log: {k!r} is a reserved name; pass step= to set the step")
                ek = keys[k] = "," + _encode_str(k) + ":"
            v = metrics[k]
            t = type(v)
            if t is float:
                s = _float_text(v)
            elif t is int:
                if not -_I64 <= v < _I64:
                    raise ValueError(
                        f"git_exp: log: metric {k!r}: {v} does not fit in 64 bits (git-exp stores 64-bit ints); "
                        "log float(value) instead"
                    )
                s = int.__repr__(v)
            elif t is bool:
                s = "true" if v else "false"
            elif t is str:
                s = _encode_str(v)
            else:
                s = _value_text(k, v)
            parts.append(ek)
            parts.append(s)
        body = "".join(parts)
        with self._lock:
            self._start()
            if self._fd < 0:
                self._open_metrics()
            if step is None:
                step = self._max + 1 if self._have else 0
            line = '{"step":' + str(step) + ',"time":"' + self._clock.now() + '"' + body + "}\n"
            self._buf.append(line)
            self._buffered += len(line)
            if step > self._max or not self._have:
                self._have, self._max = True, step
            if self._buffered >= BUFFER_SIZE:
                self._flush_locked()
            elif self._timer is None:
                import threading

                t = threading.Timer(FLUSH_INTERVAL, self._timed_flush)
                t.daemon = True
                self._timer = t
                t.start()

    def _timed_flush(self) -> None:
        with self._lock:
            self._timer = None
            try:
                self._flush_locked()
            except OSError:
                pass  # sticky: reported by the next log, flush or close

    def _open_metrics(self) -> None:
        # Lock held.
        if self._err is not None:
            raise OSError(f"git_exp: writing metrics: {self._err}")
        path = self._metrics_path
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        if not self._scanned:
            # A continued experiment appends to the previous attempt's file: number new points after the ones
            # there, and never glue a line onto a partial one left by a crash.
            self._scanned = True
            size = os.fstat(fd).st_size
            if size > 0:
                m = _max_step(path)
                if m is not None and (not self._have or m > self._max):
                    self._have, self._max = True, m
                if os.pread(fd, 1, size - 1) != b"\n":
                    os.write(fd, b"\n")
        self._fd = fd
        if not self._atexit:
            self._atexit = True
            import atexit

            atexit.register(self.close)

    def _flush_locked(self) -> None:
        if self._err is not None:
            raise OSError(f"git_exp: writing metrics: {self._err}")
        if not self._buf or self._fd < 0:
            return
        data = "".join(self._buf).encode("utf-8", "replace")  # a lone surrogate must not break the line
        self._buf.clear()
        self._buffered = 0
        try:
            view = memoryview(data)
            while view:
                n = os.write(self._fd, view)
                view = view[n:]
        except OSError as e:
            self._err = e
            raise OSError(f"git_exp: writing metrics: {e}") from e

    def flush(self) -> None:
        """Write buffered metric points to the metrics file now."""
        with self._lock:
            self._flush_locked()

    def close(self) -> None:
        """Flush buffered metrics and close the metrics file (done at exit too). Logging again reopens it."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            try:
                self._flush_locked()
            finally:
                if self._fd >= 0:
                    os.close(self._fd)
                    self._fd = -1

    # -- results --------------------------------------------------------------------------------------

    def result(self, name: str, value: Any) -> None:
        """Set one explicit result of the experiment; see :meth:`results`."""
        self.results({name: value})

    def results(self, values: Mapping[str, Any] | None = None, **kw: Any) -> None:
        """Merge values into the experiment's explicit results: keys already set are replaced, others kept.

        The results file (GIT_EXP_RESULTS, or ./exp-out/results.json bare) is rewritten atomically, so a reader
        never sees half of it. Values are JSON values (numpy scalars and arrays are converted); NaN and
        infinities are stored as the tokens NaN, Infinity, -Infinity. Buffered metrics are flushed too. When a
        run sets no explicit results, git exp uses the last value of each metric instead.
        """
        import json

        values = {**(values or {}), **kw}
        for k in values:
            if not isinstance(k, str) or k == "":
                raise ValueError(f"git_exp: results: invalid result name {k!r}")
        with self._lock:
            self._start()
            try:
                self._flush_locked()
            except OSError:
                pass  # reported by log and close
            if self._results is None:
                self._results = _read_results(self._results_path)
            nxt = dict(self._results)
            nxt.update(values)
            try:
                data = json.dumps(nxt, indent=2, sort_keys=True, ensure_ascii=False, default=_plain)
            except (TypeError, ValueError) as e:
                for k, v in values.items():
                    try:
                        json.dumps(v, default=_plain)
                    except (TypeError, ValueError) as ke:
                        raise TypeError(f"git_exp: result {k!r}: {ke}") from None
                raise TypeError(f"git_exp: encoding results: {e}") from None
            os.makedirs(os.path.dirname(self._results_path), exist_ok=True)
            _write_atomic(self._results_path, (data + "\n").encode("utf-8"))
            self._results = nxt

    # -- artifacts ------------------------------------------------------------------------------------

    def out_dir(self) -> str:
        """The artifact directory, created if needed: every file written below it is stored with the experiment.

        When an experiment is continued, the previous attempt's directory is restored first. In a bare run it is
        ./exp-out/artifacts.
        """
        with self._lock:
            self._start()
            if not self._out_made:
                os.makedirs(self._out, exist_ok=True)
                self._out_made = True
            return self._out

    def _dest(self, name: str) -> str:
        out = self.out_dir()
        norm = os.path.normpath(name)
        if not name or os.path.isabs(name) or norm == ".." or norm.startswith(".." + os.sep) or norm == ".":
            raise ValueError(f"git_exp: artifact name {name!r} must be a relative path inside the artifact directory")
        dest = os.path.join(out, norm)
        parent = os.path.dirname(dest)
        if parent:
            os.makedirs(parent, exist_ok=True)
        return dest

    def save_artifact(self, src: Any, name: str | None = None) -> str:
        """Store a file, a directory or bytes as an artifact and return where it was written.

        ``src`` is a path (str or os.PathLike; a directory is copied whole) or bytes-like data. ``name`` is the
        path inside the artifact directory (default: the source's base name; required for bytes). Text goes
        in as ``"text".encode()``.
        """
        import shutil

        if isinstance(src, (bytes, bytearray, memoryview)):
            if not name:
                raise ValueError("git_exp: save_artifact: a name is needed to store bytes")
            dest = self._dest(name)
            _write_atomic(dest, bytes(src))
            return dest
        if not isinstance(src, (str, os.PathLike)):
            raise TypeError(
                f"git_exp: save_artifact: want a path or bytes, not {type(src).__name__} "
                "(for a matplotlib figure use save_figure)"
            )
        path = os.fspath(src)
        if not os.path.exists(path):
            raise FileNotFoundError(f"git_exp: save_artifact: {path} does not exist")
        dest = self._dest(name or os.path.basename(os.path.normpath(path)))
        if os.path.isdir(path):
            shutil.copytree(path, dest, dirs_exist_ok=True)
        else:
            shutil.copyfile(path, dest)
        return dest

    def save_figure(self, fig: Any = None, name: str = "figure.png", **savefig_kwargs: Any) -> str:
        """Save a matplotlib figure (default: the current one) as an artifact; the format follows the name."""
        if fig is None:
            try:
                import matplotlib.pyplot as plt  # type: ignore[import-not-found]
            except ImportError:
                raise ImportError("git_exp: save_figure needs matplotlib (or pass the figure)") from None
            fig = plt.gcf()
        if not hasattr(fig, "savefig"):
            raise TypeError(f"git_exp: save_figure: {type(fig).__name__} has no savefig method")
        dest = self._dest(name)
        fig.savefig(dest, **savefig_kwargs)
        return dest

    # -- checkpoints ----------------------------------------------------------------------------------

    def checkpoint(self, name: Any = None, fn: Callable | None = None, *args: Any, retry: int = 1, **kwargs: Any) -> Any:
        """Run one resumable step of the experiment once, like pyexp's ``@chkpt``.

        Three forms::

            state = exp.checkpoint("prepare", prepare, data)   # run now: prepare(data), or its saved result

            @exp.checkpoint("train")                            # decorate a function or a method
            def train(self, epochs): ...

            @exp.checkpoint                                     # named after the function
            def evaluate(): ...

        If the step finished in an earlier attempt — ``<out_dir()>/.checkpoints/NAME.pkl`` exists — its return
        value is loaded (with pickle) and returned without calling it, and for a method (first parameter
        ``self``) the instance's attributes are restored as the step left them; "checkpoint NAME restored" is
        said on stderr once per name. Otherwise the step runs (up to ``retry`` times in all while it raises),
        the metrics are flushed and the result saved atomically. ``git exp continue`` restores the previous
        attempt's out_dir(), so finished steps are skipped. A bare run starts without checkpoints.
        """
        if callable(name) and fn is None and not args and not kwargs:
            fn = name
            return self._decorate(_derived_name(fn), fn, retry)
        if not isinstance(name, str):
            raise TypeError("git_exp: checkpoint: the first argument is the step's name (a string)")
        _check_name(name)
        if fn is None:
            return lambda f: self._decorate(name, f, retry)
        return self._run_checkpoint(name, fn, args, kwargs, None, retry)

    def _decorate(self, name: str, fn: Callable, retry: int) -> Callable:
        import functools

        code = getattr(fn, "__code__", None)
        is_method = bool(code and code.co_argcount > 0 and code.co_varnames[0] == "self")

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            owner = args[0] if is_method and args else None
            return self._run_checkpoint(name, fn, args, kwargs, owner, retry)

        return wrapper

    def _run_checkpoint(self, name: str, fn: Callable, args: tuple, kwargs: dict, owner: Any, retry: int) -> Any:
        import pickle

        d = os.path.join(self.out_dir(), CHECKPOINT_DIR)
        path = os.path.join(d, name + ".pkl")
        try:
            with open(path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            data = None
        if data is not None:
            try:
                saved = pickle.loads(data)
            except Exception as e:
                raise RuntimeError(
                    f"git_exp: checkpoint {name!r}: restoring {path}: {e} (delete it to run the step again)"
                ) from e
            if owner is not None and saved.get("state") is not None:
                owner.__dict__.update(saved["state"])
            with self._lock:
                if name not in self._restored:
                    self._restored.add(name)
                    self._write_err(f"git_exp: checkpoint {name} restored\n")
            return saved.get("result")
        attempts = max(int(retry), 1)
        i = 1
        while True:
            try:
                result = fn(*args, **kwargs)
                break
            except Exception as e:
                if i >= attempts:
                    raise
                self._write_err(f"git_exp: checkpoint {name}: attempt {i} of {attempts} failed: {e}; retrying\n")
                i += 1
        state = dict(owner.__dict__) if owner is not None and hasattr(owner, "__dict__") else None
        try:
            blob = pickle.dumps({"result": result, "state": state}, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as e:
            raise RuntimeError(f"git_exp: checkpoint {name!r}: saving the result: {e}") from e
        try:
            self.flush()  # metrics logged by the step must not be lost once the step is skipped
        except OSError:
            pass
        os.makedirs(d, exist_ok=True)
        _write_atomic(path, blob)
        return result


def _derived_name(fn: Callable) -> str:
    raw = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", "step")
    raw = raw.replace("<locals>.", "")
    name = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "._-") else "_" for ch in raw).lstrip(".")
    return name or "step"


def _value_text(k: str, v: Any) -> str:
    # Slow path of log(): numpy and torch scalars, int and float subclasses.
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return _value_text(k, int(v)) if type(v) is not int else _int_text(k, v)
    if isinstance(v, float):
        return _float_text(float(v))
    if isinstance(v, str):
        return _encode_str(str(v))
    if hasattr(v, "item") and getattr(v, "ndim", 0) == 0 and getattr(v, "size", 1) == 1:
        x = v.item()
        if type(x) in (int, float, bool, str):
            return _value_text(k, x)
    raise TypeError(
        f"git_exp: log: metric {k!r}: unsupported value {v!r} of type {type(v).__name__} (want a number, bool or string)"
    )


def _int_text(k: str, v: int) -> str:
    if not -_I64 <= v < _I64:
        raise ValueError(f"git_exp: log: metric {k!r}: {v} does not fit in 64 bits; log float(value) instead")
    return int.__repr__(v)


def _max_step(path: str) -> int | None:
    """The largest step in a metrics file (malformed lines skipped), read in constant memory."""
    import json
    import re

    lead = re.compile(rb'\s*\{\s*"step"\s*:\s*(\d+)\s*[,}]')
    best = None
    with open(path, "rb") as f:
        for line in f:
            m = lead.match(line)
            if m and line.rstrip().endswith(b"}"):  # a line cut short by a crash does not count
                s = int(m.group(1))
            else:
                try:
                    obj = json.loads(line)
                    s = obj["step"]
                except Exception:
                    continue
                if type(s) is not int or s < 0:
                    continue
            if best is None or s > best:
                best = s
    return best


def _read_results(path: str) -> dict:
    import json

    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return {}
    if not data.strip():
        return {}
    v = json.loads(data)
    if v is None:
        return {}
    if not isinstance(v, dict):
        raise ValueError(f"git_exp: results file {path} does not hold a JSON object")
    return v


def _write_atomic(path: str, data: bytes) -> None:
    """Replace path with data: a temporary file in the same directory, fsynced, renamed over path."""
    import tempfile

    d, base = os.path.split(path)
    fd, tmp = tempfile.mkstemp(prefix="." + base + ".tmp-", dir=d or ".")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fchmod(f.fileno(), 0o644)
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise


def _repo_root(d: str) -> str:
    """The nearest directory at or above d holding .git, else d (Go's repoRoot)."""
    cur = d
    while True:
        if os.path.lexists(os.path.join(cur, ".git")):
            return cur
        parent = os.path.dirname(cur)
        if parent == cur:
            return d
        cur = parent


# -- the default client and the module-level functions ------------------------------------------------

_default: Client | None = None
_default_lock = allocate_lock()

_clients: list = []  # weak references to every Client, for the fork hook
_fork_hooked = False


def _after_fork_in_child() -> None:
    global _default_lock
    _default_lock = allocate_lock()
    alive = []
    for ref in _clients:
        c = ref()
        if c is not None:
            c._after_fork_in_child()
            alive.append(ref)
    _clients[:] = alive


def _track_for_fork(c: Client) -> None:
    global _fork_hooked
    from _weakref import ref

    if not _fork_hooked and hasattr(os, "register_at_fork"):
        _fork_hooked = True
        os.register_at_fork(after_in_child=_after_fork_in_child)
    _clients.append(ref(c))
    if len(_clients) > 64:  # drop the dead ones now and then
        _clients[:] = [r for r in _clients if r() is not None]


def default_client() -> Client:
    """The Client the module-level functions use, created from the environment on first use."""
    global _default
    c = _default
    if c is None:
        with _default_lock:
            if _default is None:
                _default = Client()
            c = _default
    return c


def is_tracked() -> bool:
    """True under ``git exp run``, False in a bare run."""
    return default_client().is_tracked()


def id() -> str:  # noqa: A001 - the Go library's name
    """The experiment's id, or "" in a bare run."""
    return default_client().id()


def name() -> str:
    """The experiment's name."""
    return default_client().name()


def attempt() -> int:
    """1 for a first run; 2, 3, ... when continued."""
    return default_client().attempt()


def parent() -> str:
    """The id of the experiment this one reruns or continues, or ""."""
    return default_client().parent()


def repo() -> str:
    """The repository root, or "" in a bare run."""
    return default_client().repo()


def params(defaults: Any = None, allow_unknown: bool = False) -> Any:
    """The resolved params merged over defaults; see :meth:`Client.params`."""
    return default_client().params(defaults, allow_unknown=allow_unknown)


def param(key: str, default: Any = None) -> Any:
    """One param by dotted key, or default."""
    return default_client().param(key, default)


def log(metrics: Mapping[str, Any] | None = None, step: int | None = None, **kw: Any) -> None:
    """Append one metric point; see :meth:`Client.log`."""
    default_client().log(metrics, step, **kw)


def result(name: str, value: Any) -> None:
    """Set one explicit result."""
    default_client().result(name, value)


def results(values: Mapping[str, Any] | None = None, **kw: Any) -> None:
    """Merge values into the explicit results."""
    default_client().results(values, **kw)


def out_dir() -> str:
    """The artifact directory (created)."""
    return default_client().out_dir()


def save_artifact(src: Any, name: str | None = None) -> str:
    """Store a file, directory or bytes as an artifact; see :meth:`Client.save_artifact`."""
    return default_client().save_artifact(src, name)


def save_figure(fig: Any = None, name: str = "figure.png", **savefig_kwargs: Any) -> str:
    """Save a matplotlib figure as an artifact."""
    return default_client().save_figure(fig, name, **savefig_kwargs)


def checkpoint(name: Any = None, fn: Callable | None = None, *args: Any, retry: int = 1, **kwargs: Any) -> Any:
    """A resumable step; see :meth:`Client.checkpoint`."""
    return default_client().checkpoint(name, fn, *args, retry=retry, **kwargs)


def flush() -> None:
    """Write buffered metric points now."""
    default_client().flush()


def close() -> None:
    """Flush and close the metrics file (also done at exit)."""
    default_client().close()
