"""The reading API over the CLI: experiments(), get(), Experiment methods, dataframe(), metrics_frame(), best()."""

from __future__ import annotations

import json
import os
import textwrap

import pytest

import git_exp

SCRIPT = textwrap.dedent("""
    import git_exp as exp
    cfg = exp.params({"lr": 0.1, "model": {"depth": 2}})
    for i in range(3):
        exp.log({"loss": cfg.lr * (3 - i), "i": i})
    exp.results({"acc": round(1 - cfg.lr, 3), "nested": {"k": cfg.model.depth}})
    exp.save_artifact(b"weights-" + str(cfg.lr).encode(), "model.bin")
    exp.save_artifact(b"c", "dir/sub/c.txt")
    print("lr is", cfg.lr)
    import sys
    print("to stderr", file=sys.stderr)
""")


@pytest.fixture(scope="module")
def store_repo(tmp_path_factory, gitexp_bin):
    """Three experiments, made once for this module: a sweep over lr (tagged sweep) and a failed run tagged bad."""
    from conftest import Repo, _sealed_env

    base = tmp_path_factory.mktemp("store")
    (base / "home").mkdir()
    r = Repo(base / "repo", _sealed_env(base / "home", gitexp_bin.parent))
    r.path.mkdir()
    r.git("init", "-q")
    r.write("train.py", SCRIPT)
    r.write("fail.py", "import git_exp as exp\nexp.log({'loss': 9.0})\nraise SystemExit(2)\n")
    r.commit()
    r.exp("run", "train.py", "-p", "lr=list(0.1, 0.2)", "-p", "model.depth=3")
    r.exp("run", "fail.py", "--tag", "bad", check=False)
    return r


@pytest.fixture
def store(store_repo, monkeypatch):
    for k in ("GIT_EXP_BIN", "HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "GIT_CONFIG_NOSYSTEM"):
        monkeypatch.setenv(k, store_repo.env[k])
    return store_repo


def test_experiments_and_filters(store):
    all_ = git_exp.experiments(repo=store.path)
    assert len(all_) == 3
    assert [e.status for e in all_][0] == "failed"  # newest first
    sweep = git_exp.experiments(repo=store.path, tag="sweep", sort="-results.acc")
    assert [e.params.lr for e in sweep] == [0.1, 0.2]
    e = sweep[0]
    assert e.name == "train[lr=0.1]" and e.status == "completed" and "sweep" in e.tags
    assert e.params.model.depth == 3 and e.results.acc == 0.9 and e.results.nested.k == 3
    assert len(e.id) == 16 and e.short_id == e.id[:7] and e.batch and e.attempt == 1
    assert e.exit_code == 0 and e.created and e.duration_s >= 0 and e.meta["script"] == "train.py"
    assert git_exp.experiments(repo=store.path, where="lr > 0.15")[0].params.lr == 0.2
    assert git_exp.experiments(repo=store.path, where=["lr > 0.05", "results.acc < 0.85"])[0].params.lr == 0.2
    assert [x.name for x in git_exp.experiments(repo=store.path, status=["failed"])] == ["fail"]
    assert git_exp.experiments(repo=store.path, status="failed,completed", limit=2).__len__() == 2
    assert git_exp.experiments(repo=store.path, batch=e.batch, sort="lr") == sweep
    assert git_exp.experiments(repo=store.path, name="train*", script="train.py").__len__() == 2
    assert git_exp.experiments(repo=store.path, since="1 hour ago", until="2090-01-01").__len__() == 3
    assert git_exp.experiments(repo=store.path, until="2000-01-01") == []
    assert repr(e).startswith(f"Experiment({e.short_id} 'train[lr=0.1]'")
    store.exp("archive", e.id)
    try:
        assert len(git_exp.experiments(repo=store.path)) == 2
        assert len(git_exp.experiments(repo=store.path, archived=True)) == 3
    finally:
        store.exp("unarchive", e.id)


def test_errors_are_the_clis(store):
    with pytest.raises(git_exp.GitExpError, match=r'expected a value after ">"') as ei:
        git_exp.experiments(repo=store.path, where="lr >")
    assert ei.value.returncode == 2
    with pytest.raises(git_exp.GitExpError, match="no experiment"):
        git_exp.get("nosuchname", repo=store.path)


def test_missing_binary(store, monkeypatch):
    monkeypatch.delenv("GIT_EXP_BIN")
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(git_exp.GitExpNotFound, match="not on PATH"):
        git_exp.experiments(repo=store.path)


def test_bad_binary_path(store, monkeypatch):
    monkeypatch.setenv("GIT_EXP_BIN", "/nonexistent/git-exp")
    with pytest.raises(git_exp.GitExpNotFound, match="cannot run /nonexistent/git-exp.*GIT_EXP_BIN"):
        git_exp.experiments(repo=store.path)
    pytest.importorskip("pandas")
    with pytest.raises(git_exp.GitExpNotFound, match="cannot run"):
        git_exp.dataframe(repo=store.path)


def test_experiment_methods(store, tmp_path):
    e = git_exp.experiments(repo=store.path, where="lr == 0.2")[0]
    assert git_exp.get(e.id[:8], repo=store.path) == e
    assert git_exp.get(e.name, repo=store.path).id == e.id
    assert e.refresh().results == e.results and hash(e) == hash(e.refresh())
    pts = e.metrics()
    assert [p["step"] for p in pts] == [0, 1, 2]
    assert type(pts[0]["loss"]) is float and type(pts[0]["i"]) is int
    assert list(e.metrics("i")[0]) == ["i", "step", "time"]
    assert e.log() == "lr is 0.2\n" and e.log(stderr=True) == "to stderr\n"
    assert [a["path"] for a in e.artifacts()] == ["dir/sub/c.txt", "model.bin"]
    assert e.artifact("model.bin") == b"weights-0.2"
    out = e.artifact("dir", to=tmp_path / "x")
    assert open(os.path.join(out, "sub", "c.txt")).read() == "c"
    with pytest.raises(IsADirectoryError):
        e.artifact("dir")
    with pytest.raises(git_exp.GitExpError):
        e.artifact("nope.bin")


def test_metrics_as_frame(store):
    pd = pytest.importorskip("pandas")
    e = git_exp.experiments(repo=store.path, tag="sweep")[0]
    df = e.metrics(as_frame=True)
    assert isinstance(df, pd.DataFrame) and list(df.index) == [0, 1, 2]
    assert df["i"].dtype.kind == "i" and df["loss"].dtype.kind == "f"


def test_dataframe(store):
    pd = pytest.importorskip("pandas")
    df = git_exp.dataframe(repo=store.path)
    assert isinstance(df, pd.DataFrame) and len(df) == 3 and df.index.name == "id"
    for col in ("name", "status", "created", "params.lr", "params.model.depth", "results.acc", "results.nested.k"):
        assert col in df.columns, col
    sweep = git_exp.dataframe(repo=store.path, tag="sweep", sort="params.lr", index=None)
    assert list(sweep["params.lr"]) == [0.1, 0.2] and list(sweep["results.acc"]) == [0.9, 0.8]
    assert "id" in sweep.columns
    assert len(git_exp.dataframe(repo=store.path, limit=1)) == 1
    assert len(git_exp.dataframe(repo=store.path, limit=0)) == 0
    assert len(git_exp.dataframe(repo=store.path, where="results.acc > 0.85", status="completed")) == 1


def test_metrics_frame_long_form(store):
    pytest.importorskip("pandas")
    sweep = git_exp.experiments(repo=store.path, tag="sweep")
    df = git_exp.metrics_frame(sweep)
    assert list(df.columns) == ["id", "step", "time", "metric", "value"]
    assert len(df) == 2 * 3 * 2  # experiments x steps x metrics
    one = git_exp.metrics_frame(sweep[0].id, repo=store.path)
    assert set(one["id"]) == {sweep[0].id} and set(one["metric"]) == {"loss", "i"}
    wide = df.pivot_table(index=["id", "step"], columns="metric", values="value")
    assert wide.shape == (6, 2)


def test_best(store):
    assert git_exp.best("acc", repo=store.path).params.lr == 0.1
    assert git_exp.best("acc", mode="min", repo=store.path).params.lr == 0.2
    assert git_exp.best("params.lr", repo=store.path).params.lr == 0.2
    assert git_exp.best("acc", repo=store.path, where="lr > 0.15").params.lr == 0.2
    assert git_exp.best("nothing", repo=store.path) is None
    assert git_exp.best("acc", repo=store.path, tag="bad") is None  # failed runs do not count
    assert git_exp.best("loss", repo=store.path, status=None).name == "fail"
    with pytest.raises(ValueError, match="mode"):
        git_exp.best("acc", mode="up", repo=store.path)


def test_lazy_attributes_and_dir():
    assert "dataframe" in dir(git_exp) and callable(git_exp.best)
    with pytest.raises(AttributeError):
        git_exp.nothing_here  # noqa: B018
    assert json.loads(json.dumps(git_exp.__all__))
