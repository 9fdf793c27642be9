"""The writing API, bare and with a hand-made run protocol environment (no git-exp needed)."""

from __future__ import annotations

import dataclasses
import io
import json
import math
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import typing
from pathlib import Path

import pytest

import git_exp
from git_exp import _client
from git_exp._decode import ParamsError

from conftest import PY_DIR


def lines(path) -> list:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def bare(tmp_path, stderr, **environ) -> git_exp.Client:
    return git_exp.Client(environ=environ, cwd=str(tmp_path), stderr=stderr)


def tracked(tmp_path, stderr, params=None, **extra) -> git_exp.Client:
    run = tmp_path / "run"
    (run / "out").mkdir(parents=True, exist_ok=True)
    environ = {
        "GIT_EXP_ID": "0123456789abcdef",
        "GIT_EXP_NAME": "train[lr=0.1]",
        "GIT_EXP_OUT": str(run / "out"),
        "GIT_EXP_METRICS": str(run / "metrics.jsonl"),
        "GIT_EXP_RESULTS": str(run / "results.json"),
        "GIT_EXP_REPO": str(tmp_path),
        "GIT_EXP_ATTEMPT": "2",
        "GIT_EXP_PARENT": "fedcba9876543210",
    }
    if params is not None:
        (run / "params.json").write_text(json.dumps(params))
        environ["GIT_EXP_PARAMS"] = str(run / "params.json")
    environ.update(extra)
    return git_exp.Client(environ=environ, cwd=str(tmp_path), stderr=stderr)


# -- mode and identity ----------------------------------------------------------------------------------


def test_bare_identity_and_notice_once(tmp_path, stderr):
    c = bare(tmp_path, stderr)
    assert not c.is_tracked() and c.id() == "" and c.attempt() == 1 and c.parent() == "" and c.repo() == ""
    assert c.name()  # the script's base name
    c.log({"a": 1})
    c.log({"a": 2})
    c.result("r", 1)
    c.out_dir()
    assert stderr.getvalue().count("not running under git exp; writing metrics to exp-out/") == 1
    c.close()
    assert (tmp_path / "exp-out" / "metrics.jsonl").exists()
    assert (tmp_path / "exp-out" / "results.json").exists()
    assert (tmp_path / "exp-out" / "artifacts").is_dir()


def test_bare_name_from_environment(tmp_path, stderr):
    assert bare(tmp_path, stderr, GIT_EXP_NAME="mine").name() == "mine"


def test_bare_run_starts_fresh(tmp_path, stderr):
    c = bare(tmp_path, stderr)
    c.log({"a": 1})
    c.result("r", 1)
    c.checkpoint("step", lambda: 1)
    c.close()
    c2 = bare(tmp_path, io.StringIO())
    c2.log({"b": 2})
    c2.close()
    assert [p["step"] for p in lines(tmp_path / "exp-out" / "metrics.jsonl")] == [0]
    assert not (tmp_path / "exp-out" / "results.json").exists()
    assert not (tmp_path / "exp-out" / "artifacts" / ".checkpoints").exists()


def test_tracked_identity(tmp_path, stderr):
    c = tracked(tmp_path, stderr)
    assert c.is_tracked()
    assert (c.id(), c.name(), c.attempt(), c.parent(), c.repo()) == (
        "0123456789abcdef", "train[lr=0.1]", 2, "fedcba9876543210", str(tmp_path),
    )
    assert c.out_dir() == str(tmp_path / "run" / "out")
    assert stderr.getvalue() == ""


def test_tracked_missing_protocol_variable_warns(tmp_path, stderr):
    c = git_exp.Client(environ={"GIT_EXP_ID": "0123456789abcdef"}, cwd=str(tmp_path), stderr=stderr)
    c.log({"a": 1})
    c.close()
    assert "GIT_EXP_METRICS is not set although GIT_EXP_ID is; writing to exp-out/ instead" in stderr.getvalue()
    assert lines(tmp_path / "exp-out" / "metrics.jsonl")[0]["a"] == 1


def test_relative_protocol_paths_resolve_against_cwd(tmp_path, stderr):
    c = git_exp.Client(
        environ={"GIT_EXP_ID": "x" * 16, "GIT_EXP_METRICS": "m.jsonl", "GIT_EXP_RESULTS": "r.json", "GIT_EXP_OUT": "o"},
        cwd=str(tmp_path), stderr=stderr,
    )
    c.log({"a": 1})
    c.close()
    assert (tmp_path / "m.jsonl").exists()
    assert c.out_dir() == str(tmp_path / "o")


# -- log ----------------------------------------------------------------------------------------------------


def test_log_types_steps_and_format(tmp_path, stderr):
    c = tracked(tmp_path, stderr)
    c.log({"loss": 1.0, "n": 3, "ok": True, "phase": 'tr"ain', "tiny": 1e-7, "big": 1e300})
    c.log({"loss": 0.5}, step=10)
    c.log(loss=0.25)  # keyword form; one past the largest step
    c.log({"acc": 0.9}, step=10)  # the same step again: another line, merged by readers
    c.close()
    raw = (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
    assert raw[0].startswith('{"step":0,"time":"')
    assert raw[0].endswith('Z","big":1e+300,"loss":1.0,"n":3,"ok":true,"phase":"tr\\"ain","tiny":1e-07}')
    pts = lines(tmp_path / "run" / "metrics.jsonl")
    assert [p["step"] for p in pts] == [0, 10, 11, 10]
    assert type(pts[0]["loss"]) is float and type(pts[0]["n"]) is int and pts[0]["ok"] is True
    assert all(p["time"].endswith("Z") and "T" in p["time"] for p in pts)


def test_log_non_finite_tokens(tmp_path, stderr):
    c = tracked(tmp_path, stderr)
    c.log({"nan": float("nan"), "pinf": float("inf"), "ninf": float("-inf")})
    c.close()
    raw = (tmp_path / "run" / "metrics.jsonl").read_text()
    assert '"nan":NaN' in raw and '"pinf":Infinity' in raw and '"ninf":-Infinity' in raw
    p = lines(tmp_path / "run" / "metrics.jsonl")[0]  # Python's json reads them back
    assert math.isnan(p["nan"]) and p["pinf"] == math.inf and p["ninf"] == -math.inf


@pytest.mark.parametrize(
    "metrics,step,err,msg",
    [
        ({"step": 1}, None, ValueError, "reserved"),
        ({"time": 1}, None, ValueError, "reserved"),
        ({"": 1}, None, ValueError, "invalid metric name"),
        ({"a": [1, 2]}, None, TypeError, "unsupported value"),
        ({"a": None}, None, TypeError, "unsupported value"),
        ({"a": 1 << 70}, None, ValueError, "64 bits"),
        ({"a": 1}, -1, ValueError, "negative"),
        ({"a": 1}, 1.5, TypeError, "step must be an int"),
        ({"a": 1}, True, TypeError, "step must be an int"),
    ],
)
def test_log_rejects_and_writes_nothing(tmp_path, stderr, metrics, step, err, msg):
    c = tracked(tmp_path, stderr)
    with pytest.raises(err, match=msg):
        c.log({"ok": 1, **metrics}, step=step)
    c.close()
    p = tmp_path / "run" / "metrics.jsonl"
    assert not p.exists() or p.read_text() == ""


class Scalar:
    """Stands for a numpy/torch scalar: .item() and ndim == 0."""

    ndim = 0
    size = 1

    def __init__(self, v):
        self.v = v

    def item(self):
        return self.v


def test_log_converts_scalars_and_subclasses(tmp_path, stderr):
    class MyFloat(float):
        pass

    c = tracked(tmp_path, stderr)
    c.log({"f": Scalar(0.5), "i": Scalar(7), "mf": MyFloat(2.0), "b": Scalar(False)})
    c.close()
    p = lines(tmp_path / "run" / "metrics.jsonl")[0]
    assert p["f"] == 0.5 and type(p["i"]) is int and p["mf"] == 2.0 and type(p["mf"]) is float and p["b"] is False


def test_log_flushes_within_the_interval(tmp_path, stderr, monkeypatch):
    monkeypatch.setattr(_client, "FLUSH_INTERVAL", 0.05)
    c = tracked(tmp_path, stderr)
    c.log({"a": 1})
    path = tmp_path / "run" / "metrics.jsonl"
    assert path.read_text() == ""  # buffered
    deadline = time.time() + 5
    while path.read_text() == "" and time.time() < deadline:
        time.sleep(0.01)
    assert lines(path)[0]["a"] == 1
    c.close()


def test_flush_and_results_write_buffered_points(tmp_path, stderr):
    c = tracked(tmp_path, stderr)
    c.log({"a": 1})
    c.flush()
    assert len(lines(tmp_path / "run" / "metrics.jsonl")) == 1
    c.log({"a": 2})
    c.result("r", 1)
    assert len(lines(tmp_path / "run" / "metrics.jsonl")) == 2
    c.close()
    c.close()  # twice is fine
    c.log({"a": 3})  # logging after close reopens
    c.close()
    assert [p["step"] for p in lines(tmp_path / "run" / "metrics.jsonl")] == [0, 1, 2]


def test_log_continues_after_existing_points_and_partial_line(tmp_path, stderr):
    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.jsonl").write_text('{"step":7,"time":"t","a":1}\n{"step":3,"a":2}\n{"step":9,"ti')
    c = tracked(tmp_path, stderr)
    c.log({"a": 3})
    c.close()
    raw = (run / "metrics.jsonl").read_text().splitlines()
    assert raw[2] == '{"step":9,"ti'  # the crash's partial line is left alone, on its own line
    assert json.loads(raw[3])["step"] == 8


def test_four_threads_lose_no_line(tmp_path, stderr, monkeypatch):
    monkeypatch.setattr(_client, "BUFFER_SIZE", 4096)  # many writes while the threads race
    c = tracked(tmp_path, stderr)
    n = 5000

    def worker(t):
        for i in range(n):
            c.log({"thread": t, "i": i})

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    c.close()
    pts = lines(tmp_path / "run" / "metrics.jsonl")
    assert len(pts) == 4 * n
    assert sorted(p["step"] for p in pts) == list(range(4 * n))  # every auto step given once
    for t in range(4):
        assert sorted(p["i"] for p in pts if p["thread"] == t) == list(range(n))


def test_killed_process_leaves_complete_lines(tmp_path):
    script = tmp_path / "spin.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(PY_DIR)!r})
        import git_exp
        from git_exp import _client
        _client.BUFFER_SIZE = 1000
        c = git_exp.Client(environ={{}}, cwd={str(tmp_path)!r}, stderr=open("/dev/null", "w"))
        i = 0
        while True:
            c.log({{"i": i, "pad": "x" * (i % 97)}})
            i += 1
    """))
    p = subprocess.Popen([sys.executable, str(script)])
    path = tmp_path / "exp-out" / "metrics.jsonl"
    deadline = time.time() + 30
    while (not path.exists() or path.stat().st_size < 200_000) and time.time() < deadline:
        time.sleep(0.02)
    p.send_signal(signal.SIGKILL)
    p.wait()
    raw = path.read_bytes()
    assert len(raw) >= 200_000
    assert raw.endswith(b"\n")  # only whole lines were ever written
    pts = [json.loads(line) for line in raw.splitlines()]
    assert [q["i"] for q in pts] == list(range(len(pts)))


# -- results ------------------------------------------------------------------------------------------------


def test_results_merge_atomically_with_tokens(tmp_path, stderr):
    c = tracked(tmp_path, stderr)
    c.result("acc", 0.5)
    c.results({"loss": float("nan"), "best": {"epoch": 3}})
    c.results(acc=0.75, arr=Scalar(2.0))
    raw = (tmp_path / "run" / "results.json").read_text()
    assert '"loss": NaN' in raw
    r = json.loads(raw)
    assert r["acc"] == 0.75 and r["best"] == {"epoch": 3} and r["arr"] == 2.0 and math.isnan(r["loss"])
    assert sorted(os.listdir(tmp_path / "run")) == ["out", "results.json"]  # no temporary file left


def test_results_keep_what_the_file_already_has(tmp_path, stderr):
    run = tmp_path / "run"
    run.mkdir()
    (run / "results.json").write_text('{"old": 1}')
    c = tracked(tmp_path, stderr)
    c.result("new", 2)
    assert json.loads((run / "results.json").read_text()) == {"new": 2, "old": 1}


def test_results_reject_bad_names_and_values(tmp_path, stderr):
    c = tracked(tmp_path, stderr)
    with pytest.raises(ValueError, match="invalid result name"):
        c.results({"": 1})
    with pytest.raises(TypeError, match="result 'x'"):
        c.result("x", object())
    assert not (tmp_path / "run" / "results.json").exists()


# -- params -------------------------------------------------------------------------------------------------


def test_params_tracked_over_defaults(tmp_path, stderr):
    c = tracked(tmp_path, stderr, params={"lr": 0.5, "model": {"depth": 4}, "tags": ["a"]})
    cfg = c.params({"lr": 0.1, "epochs": 3, "model": {"depth": 2, "width": 8}})
    assert cfg == {"lr": 0.5, "epochs": 3, "model": {"depth": 4, "width": 8}, "tags": ["a"]}
    assert cfg.model.depth == 4 and cfg.model.width == 8
    with pytest.raises(AttributeError, match="no parameter 'nope'"):
        cfg.nope
    assert c.params() == {"lr": 0.5, "model": {"depth": 4}, "tags": ["a"]}
    assert c.param("model.depth") == 4 and c.param("model.none", 9) == 9 and c.param("lr") == 0.5
    assert c.param("model").depth == 4


def test_params_tracked_without_params_file(tmp_path, stderr):
    assert tracked(tmp_path, stderr).params({"a": 1}) == {"a": 1}


@dataclasses.dataclass
class Model:
    depth: int = 2
    width: float = 1.0


@dataclasses.dataclass
class Config:
    lr: float = 0.1
    epochs: int = 3
    name: str = "x"
    batch_size: int = 32
    model: Model = dataclasses.field(default_factory=Model)
    extra: dict = dataclasses.field(default_factory=dict)


def test_params_into_dataclass(tmp_path, stderr):
    c = tracked(tmp_path, stderr, params={"lr": 1, "epochs": 5.0, "batchSize": 64, "model": {"depth": 6}, "extra": {"k": 1}})
    cfg = c.params(Config)
    assert cfg == Config(lr=1.0, epochs=5, batch_size=64, model=Model(depth=6), extra={"k": 1})
    assert type(cfg.lr) is float and type(cfg.epochs) is int
    base = Config(name="mine")
    assert c.params(base).name == "mine" and base.lr == 0.1  # the defaults are not modified


def test_params_dotted_key_into_dataclass(tmp_path, stderr):
    c = tracked(tmp_path, stderr, params={"model.depth": 9})
    assert c.params(Config).model == Model(depth=9, width=1.0)


def test_params_dataclass_mismatches_all_reported(tmp_path, stderr):
    c = tracked(tmp_path, stderr, params={"epochs": 2.5, "name": 3, "lr": "fast", "nope": 1})
    with pytest.raises(ParamsError) as e:
        c.params(Config)
    msg = str(e.value)
    assert "unknown param 'nope'" in msg and "allow_unknown=True" in msg
    assert "'epochs': cannot use float 2.5 as int (not an integer)" in msg
    assert "'name': cannot use int 3 as str" in msg
    assert "'lr': cannot use string 'fast' as float" in msg


def test_params_dataclass_allow_unknown(tmp_path, stderr):
    c = tracked(tmp_path, stderr, params={"lr": 0.2, "nope": 1})
    assert c.params(Config, allow_unknown=True).lr == 0.2


def test_params_non_finite_tokens(tmp_path, stderr):
    run = tmp_path / "run"
    run.mkdir()
    (run / "params.json").write_text('{"lr": NaN, "cap": Infinity}')
    c = tracked(tmp_path, stderr, GIT_EXP_PARAMS=str(run / "params.json"))
    p = c.params()
    assert math.isnan(p.lr) and p.cap == math.inf


def test_params_bad_file(tmp_path, stderr):
    run = tmp_path / "run"
    run.mkdir()
    (run / "params.json").write_text("[1, 2]")
    c = tracked(tmp_path, stderr, GIT_EXP_PARAMS=str(run / "params.json"))
    with pytest.raises(ValueError, match="does not hold a JSON object"):
        c.params()


def test_params_defaults_must_be_dict_or_dataclass(tmp_path, stderr):
    with pytest.raises(TypeError, match="dict or a dataclass"):
        tracked(tmp_path, stderr).params(42)


def test_bare_params_without_config_need_no_binary(tmp_path, stderr, bare_env, monkeypatch):
    monkeypatch.setenv("PATH", bare_env["PATH"])
    monkeypatch.delenv("GIT_EXP_BIN", raising=False)
    assert bare(tmp_path, stderr).params({"lr": 0.1}) == {"lr": 0.1}


def test_bare_params_with_config_but_no_binary(tmp_path, stderr, bare_env, monkeypatch):
    monkeypatch.setenv("PATH", bare_env["PATH"])
    monkeypatch.delenv("GIT_EXP_BIN", raising=False)
    (tmp_path / "config.yaml").write_text("lr: 0.5\n")
    with pytest.raises(git_exp.GitExpNotFound, match="git-exp binary is not on PATH.*config.yaml"):
        bare(tmp_path, stderr).params()


def test_bare_params_resolved_by_the_binary(tmp_path, stderr, env, monkeypatch):
    """config.yaml with imports and dotted keys, and GIT_EXP_PARAM_ variables: the binary's rules."""
    monkeypatch.setenv("GIT_EXP_BIN", env["GIT_EXP_BIN"])
    (tmp_path / ".git").mkdir()  # the repository root is where config.yaml is looked for
    (tmp_path / "sub").mkdir()
    (tmp_path / "config.yaml").write_text("imports: [base.yaml]\nmodel.depth: 8\nlr: 0.01\n")
    (tmp_path / "base.yaml").write_text("model:\n  depth: 2\n  width: 16\nname: base\n")
    c = git_exp.Client(environ={"GIT_EXP_PARAM_model__width": "32", "GIT_EXP_PARAM_epochs": "5"},
                       cwd=str(tmp_path / "sub"), stderr=stderr)
    p = c.params({"epochs": 1, "other": True})
    assert p == {"epochs": 5, "other": True, "lr": 0.01, "name": "base", "model": {"depth": 8, "width": 32}}
    assert type(p.lr) is float and type(p.model.depth) is int


def test_bare_params_config_error_is_the_binarys(tmp_path, stderr, env, monkeypatch):
    monkeypatch.setenv("GIT_EXP_BIN", env["GIT_EXP_BIN"])
    (tmp_path / "config.yaml").write_text("imports: [missing.yaml]\n")
    with pytest.raises(git_exp.GitExpError, match="missing.yaml"):
        bare(tmp_path, stderr).params()


# -- artifacts ----------------------------------------------------------------------------------------------


def test_out_dir_and_save_artifact(tmp_path, stderr):
    c = tracked(tmp_path, stderr)
    out = Path(c.out_dir())
    assert out.is_dir()
    src = tmp_path / "model.bin"
    src.write_bytes(b"\x00\x01")
    d = tmp_path / "data"
    (d / "inner").mkdir(parents=True)
    (d / "inner" / "f.txt").write_text("f")
    assert c.save_artifact(src) == str(out / "model.bin")
    assert c.save_artifact(str(src), "copies/m.bin") == str(out / "copies" / "m.bin")
    c.save_artifact(d)
    c.save_artifact(b"raw", "raw.bin")
    c.save_artifact(bytearray(b"ba"), "ba.bin")
    assert (out / "copies" / "m.bin").read_bytes() == b"\x00\x01"
    assert (out / "data" / "inner" / "f.txt").read_text() == "f"
    assert (out / "raw.bin").read_bytes() == b"raw" and (out / "ba.bin").read_bytes() == b"ba"


@pytest.mark.parametrize("name", ["../x", "/abs", "a/../../x", "."])
def test_save_artifact_stays_inside(tmp_path, stderr, name):
    with pytest.raises(ValueError, match="relative path inside"):
        tracked(tmp_path, stderr).save_artifact(b"x", name)


def test_save_artifact_errors(tmp_path, stderr):
    c = tracked(tmp_path, stderr)
    with pytest.raises(ValueError, match="a name is needed"):
        c.save_artifact(b"x")
    with pytest.raises(FileNotFoundError):
        c.save_artifact(tmp_path / "nope")
    with pytest.raises(TypeError, match="save_figure"):
        c.save_artifact(object(), "x")


def test_save_figure(tmp_path, stderr):
    class Fig:
        def savefig(self, path, dpi=None):
            Path(path).write_text(f"png dpi={dpi}")

    c = tracked(tmp_path, stderr)
    dest = c.save_figure(Fig(), "plots/loss.png", dpi=72)
    assert Path(dest).read_text() == "png dpi=72"
    with pytest.raises(TypeError, match="no savefig"):
        c.save_figure(object(), "x.png")


# -- checkpoints --------------------------------------------------------------------------------------------


def test_checkpoint_function_form_runs_once(tmp_path, stderr):
    calls = []

    def step(x):
        calls.append(x)
        return {"x": x * 2}

    c = tracked(tmp_path, stderr)
    assert c.checkpoint("prepare", step, 21) == {"x": 42}
    c2 = tracked(tmp_path, stderr)  # the next attempt, with the same out_dir
    assert c2.checkpoint("prepare", step, 99) == {"x": 42}
    assert c2.checkpoint("prepare", step, 99) == {"x": 42}
    assert calls == [21]
    assert stderr.getvalue().count("checkpoint prepare restored") == 1
    assert (tmp_path / "run" / "out" / ".checkpoints" / "prepare.pkl").exists()


def test_checkpoint_decorators(tmp_path, stderr):
    calls = []
    c = tracked(tmp_path, stderr)

    @c.checkpoint("named")
    def named():
        calls.append("named")
        return 1

    @c.checkpoint
    def plain():
        calls.append("plain")
        return 2

    assert (named(), plain(), named(), plain()) == (1, 2, 1, 2)
    assert calls == ["named", "plain"]
    assert plain.__name__ == "plain"
    assert sorted(os.listdir(tmp_path / "run" / "out" / ".checkpoints")) == [
        "named.pkl", "test_checkpoint_decorators.plain.pkl",
    ]


def test_checkpoint_method_restores_self(tmp_path, stderr):
    def make(client):
        class Trainer:
            def __init__(self):
                self.weights = None
                self.epochs_done = 0

            @client.checkpoint("train")
            def train(self, epochs):
                self.weights = [0.5] * epochs
                self.epochs_done = epochs
                return "trained"

        return Trainer

    t1 = make(tracked(tmp_path, stderr))()
    assert t1.train(3) == "trained" and t1.epochs_done == 3
    t2 = make(tracked(tmp_path, stderr))()  # continued: the step is skipped, the state comes back
    assert t2.train(99) == "trained"
    assert (t2.weights, t2.epochs_done) == ([0.5, 0.5, 0.5], 3)


def test_checkpoint_retry_and_failure(tmp_path, stderr):
    c = tracked(tmp_path, stderr)
    tries = []

    def flaky():
        tries.append(1)
        if len(tries) < 3:
            raise RuntimeError("boom")
        return "ok"

    assert c.checkpoint("flaky", flaky, retry=3) == "ok"
    assert "checkpoint flaky: attempt 1 of 3 failed: boom; retrying" in stderr.getvalue()

    def always():
        raise RuntimeError("never")

    with pytest.raises(RuntimeError, match="never"):
        c.checkpoint("always", always, retry=2)
    assert not (tmp_path / "run" / "out" / ".checkpoints" / "always.pkl").exists()


def test_checkpoint_flushes_metrics(tmp_path, stderr):
    c = tracked(tmp_path, stderr)
    c.checkpoint("s", lambda: c.log({"a": 1}))
    assert lines(tmp_path / "run" / "metrics.jsonl")[0]["a"] == 1
    c.close()


@pytest.mark.parametrize("name", ["", ".hidden", "a/b", "sp ace", "x" * 201])
def test_checkpoint_names(tmp_path, stderr, name):
    with pytest.raises(ValueError, match="invalid checkpoint name"):
        tracked(tmp_path, stderr).checkpoint(name, lambda: 1)


def test_checkpoint_corrupt_file(tmp_path, stderr):
    c = tracked(tmp_path, stderr)
    d = Path(c.out_dir()) / ".checkpoints"
    d.mkdir()
    (d / "s.pkl").write_bytes(b"not a pickle")
    with pytest.raises(RuntimeError, match="delete it to run the step again"):
        c.checkpoint("s", lambda: 1)


# -- the module-level functions (the default client), in a fresh process ----------------------------------


def test_module_functions_bare(tmp_path):
    script = tmp_path / "mod.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(PY_DIR)!r})
        import git_exp as exp
        assert exp.default_client() is exp.default_client()
        assert not exp.is_tracked() and exp.id() == "" and exp.attempt() == 1 and exp.parent() == "" and exp.repo() == ""
        assert exp.name() == "mod"
        cfg = exp.params({{"lr": 0.1}})
        assert cfg.lr == 0.1 and exp.param("lr", 5) == 5
        exp.log({{"loss": 1.0}})
        exp.log({{"loss": 0.5}}, step=4)
        exp.flush()
        exp.result("acc", 0.9)
        exp.results({{"f1": 0.8}})
        exp.save_artifact(b"m", "m.bin")
        class Fig:
            def savefig(self, p): open(p, "w").write("fig")
        exp.save_figure(Fig(), "f.png")
        assert exp.checkpoint("c", lambda: 3) == 3
        exp.log(loss=0.1)  # not flushed explicitly: written at exit
        print(exp.out_dir())
    """))
    p = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True,
                       env={k: v for k, v in os.environ.items() if not k.startswith("GIT_EXP_")})
    assert p.returncode == 0, p.stderr
    assert p.stderr.count("not running under git exp") == 1
    out = tmp_path / "exp-out"
    assert [q["step"] for q in lines(out / "metrics.jsonl")] == [0, 4, 5]
    assert json.loads((out / "results.json").read_text()) == {"acc": 0.9, "f1": 0.8}
    assert (out / "artifacts" / "m.bin").exists() and (out / "artifacts" / "f.png").exists()
    assert p.stdout.strip() == str(out / "artifacts")


def test_attr_dict():
    d = git_exp.AttrDict.wrap({"a": {"b": [{"c": 1}]}})
    assert d.a.b[0].c == 1
    d.x = 2
    assert d["x"] == 2
    del d.x
    with pytest.raises(AttributeError):
        del d.x


def test_params_optional_fields(tmp_path, stderr):
    @dataclasses.dataclass
    class Opt:
        a: typing.Optional[int] = None
        b: typing.Optional[float] = 1.0
        c: typing.Union[int, str] = 0

    c = tracked(tmp_path, stderr, params={"a": 3.0, "b": None, "c": "x"})
    got = c.params(Opt)
    assert got == Opt(a=3, b=None, c="x") and type(got.a) is int
    c = tracked(tmp_path / "2", stderr, params={"a": "no"})
    with pytest.raises(ParamsError, match="'a': cannot use string 'no' as int"):
        c.params(Opt)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork")
def test_forked_child_does_not_write_the_parents_buffer(tmp_path, stderr):
    c = tracked(tmp_path, stderr)
    c.log({"parent": 1})  # buffered when the child is forked
    pid = os.fork()
    if pid == 0:
        try:
            c.log({"child": 1})
            c.close()
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    c.log({"parent": 2})
    c.close()
    pts = lines(tmp_path / "run" / "metrics.jsonl")
    assert sorted(json.dumps(p, sort_keys=True) for p in pts if "parent" in p).__len__() == 2
    assert [p for p in pts if "child" in p].__len__() == 1


def test_binary_found_in_gits_exec_path(tmp_path, monkeypatch):
    from git_exp import _binary

    libexec = tmp_path / "libexec"
    bindir = tmp_path / "bin"
    libexec.mkdir()
    bindir.mkdir()
    (libexec / "git-exp").write_text("#!/bin/sh\n")
    (libexec / "git-exp").chmod(0o755)
    (bindir / "git").write_text(f"#!/bin/sh\necho {libexec}\n")
    (bindir / "git").chmod(0o755)
    monkeypatch.delenv("GIT_EXP_BIN", raising=False)
    monkeypatch.setenv("PATH", str(bindir))
    assert _binary.binary() == str(libexec / "git-exp")
    (libexec / "git-exp").unlink()
    with pytest.raises(git_exp.GitExpNotFound, match="GIT_EXP_BIN"):
        _binary.binary()


def test_log_unicode_and_lone_surrogates(tmp_path, stderr):
    c = tracked(tmp_path, stderr)
    c.log({"naïve": "π ≈ 3.14", "bad": "\ud800x"})
    c.close()
    raw = (tmp_path / "run" / "metrics.jsonl").read_bytes()
    raw.decode("utf-8")  # valid UTF-8 throughout
    p = lines(tmp_path / "run" / "metrics.jsonl")[0]
    assert p["naïve"] == "π ≈ 3.14" and p["bad"] == "?x"
