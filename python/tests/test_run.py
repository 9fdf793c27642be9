"""The package under a real `git exp run`: zero install, types kept through the store, continue, yanex scripts."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import PY_DIR, ROOT


def test_zero_install_import_appended_not_prepended(repo, tmp_path):
    user = tmp_path / "userlib"
    (user / "helper").mkdir(parents=True)
    (user / "helper" / "__init__.py").write_text("X = 1\n")
    env = dict(repo.env, PYTHONPATH=str(user))
    _, e = repo.run_script("probe.py", textwrap.dedent("""
        import os, sys, git_exp, helper
        pp = os.environ["PYTHONPATH"].split(os.pathsep)
        here = os.path.dirname(os.path.dirname(git_exp.__file__))
        print("DIR", here, sorted(os.listdir(here)))
        print("LAST", pp[-1] == here, "FIRST", pp[0])
        print("ID", git_exp.id() == os.environ["GIT_EXP_ID"], git_exp.is_tracked())
    """), env=env)
    out = repo.exp("logs", e["id"]).stdout
    assert f"FIRST {user}" in out and "LAST True" in out and "ID True True" in out
    d = next(line for line in out.splitlines() if line.startswith("DIR "))
    assert "/.git/exp/python/" in d and d.endswith("['git_exp']")  # a directory holding only git_exp
    assert e["status"] == "completed"


def test_python_path_command(repo, tmp_path):
    d = repo.exp("python-path").stdout.strip()
    assert os.listdir(d) == ["git_exp"]
    assert d.startswith(str(repo.path / ".git" / "exp" / "python"))
    p = subprocess.run([sys.executable, "-c", "import git_exp, sys; print(git_exp.__version__, git_exp.__file__)"],
                       env=dict(repo.env, PYTHONPATH=d), capture_output=True, text=True, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    import git_exp

    assert p.stdout.split()[0] == git_exp.__version__ and p.stdout.split()[1].startswith(d)
    # Outside a repository: the user's cache.
    outside = tmp_path / "nowhere"
    outside.mkdir()
    p = subprocess.run(["git-exp", "python-path"], cwd=outside, env=repo.env, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip().startswith(repo.env["XDG_CACHE_HOME"])


def test_warns_once_about_another_installed_version(repo, tmp_path):
    # A different version in the user site directory (after PYTHONPATH on sys.path): the bundled copy is used.
    probe = subprocess.run(["python3", "-c", "import site; print(site.getusersitepackages())"],
                           env=dict(repo.env, PYTHONUSERBASE=str(tmp_path / "ub")), capture_output=True, text=True)
    site = Path(probe.stdout.strip())
    (site / "git_exp").mkdir(parents=True)
    (site / "git_exp" / "__init__.py").write_text('__version__ = "0.0.0-old"\n')
    env = dict(repo.env, PYTHONUSERBASE=str(tmp_path / "ub"))
    p, e = repo.run_script("w.py", "import git_exp\nimport git_exp\nprint(git_exp.__file__)\n", env=env)
    assert p.stderr.count("another version (0.0.0-old) is installed at") == 1, p.stderr
    assert "/.git/exp/python/" in repo.exp("logs", e["id"]).stdout


def test_no_warning_without_another_copy(repo):
    p, _ = repo.run_script("w.py", "import git_exp\n")
    assert "another version" not in p.stderr and "git_exp" not in p.stderr


def test_types_survive_log_store_metrics(repo):
    _, e = repo.run_script("types.py", textwrap.dedent("""
        import git_exp as exp
        exp.log({"f": 1.0, "i": 1, "b": True, "s": "one", "neg": -2, "small": 1e-9})
        exp.log({"f": 2.5, "i": 2}, step=1)
        exp.log({"extra": 3.0}, step=1)
    """))
    raw = repo.stored(e["id"], "metrics.jsonl").splitlines()
    first = raw[0]
    assert '"f":1.0' in first and '"i":1,' in first and '"b":true' in first and '"small":1e-09' in first
    import git_exp

    [x] = git_exp.experiments(repo=repo.path, name="types")
    pts = x.metrics()
    assert [p["step"] for p in pts] == [0, 1]
    assert type(pts[0]["f"]) is float and pts[0]["f"] == 1.0
    assert type(pts[0]["i"]) is int and pts[0]["b"] is True and pts[0]["s"] == "one"
    assert pts[1] == {"step": 1, "time": pts[1]["time"], "f": 2.5, "i": 2, "extra": 3.0}  # one step, merged
    # results fall back to each metric's last value, also typed
    assert type(x.results["f"]) is float


def test_non_finite_values_stored_and_read(repo):
    _, e = repo.run_script("nf.py", textwrap.dedent("""
        import git_exp as exp
        exp.log({"loss": float("nan"), "up": float("inf"), "down": float("-inf"), "ok": 1.0})
        exp.result("best", float("inf"))
    """))
    stored = repo.stored(e["id"], "metrics.jsonl")
    assert '"loss":NaN' in stored and '"up":Infinity' in stored and '"down":-Infinity' in stored
    assert "Infinity" in repo.stored(e["id"], "results.json")
    import git_exp

    [p] = git_exp.get(e["id"], repo=repo.path).metrics()
    assert math.isnan(p["loss"]) and p["up"] == math.inf and p["down"] == -math.inf and p["ok"] == 1.0


def test_params_from_run(repo):
    repo.write("config.yaml", "imports: [base.yaml]\nmodel.depth: 4\n")
    repo.write("base.yaml", "model:\n  depth: 2\n  width: 8\nlr: 0.1\n")
    repo.commit()
    _, e = repo.run_script("p.py", textwrap.dedent("""
        import dataclasses, git_exp as exp
        @dataclasses.dataclass
        class Model:
            depth: int = 1
            width: int = 1
        @dataclasses.dataclass
        class Cfg:
            lr: float = 0.5
            epochs: int = 1
            model: Model = dataclasses.field(default_factory=Model)
        c = exp.params(Cfg)
        exp.results({"lr": c.lr, "epochs": c.epochs, "depth": c.model.depth, "width": c.model.width,
                     "dotted": exp.param("model.depth")})
    """), "-p", "epochs=7", "-p", "lr=1")
    assert e["results"] == {"lr": 1.0, "epochs": 7, "depth": 4, "width": 8, "dotted": 4}
    assert '"lr": 1.0' in repo.stored(e["id"], "results.json")


def test_continue_skips_finished_checkpoints_and_numbers_after(repo):
    script = textwrap.dedent("""
        import os, sys, git_exp as exp

        class Trainer:
            def __init__(self):
                self.trained = 0

            @exp.checkpoint("train")
            def train(self):
                print("training")
                for i in range(3):
                    exp.log({"loss": 1.0 / (i + 1)})
                self.trained = 3
                return "weights"

        t = Trainer()
        w = t.train()
        print("attempt", exp.attempt(), w, t.trained)
        if exp.attempt() == 1:
            sys.exit(3)
        exp.log({"loss": 0.1})
        exp.result("done", True)
    """)
    p, e = repo.run_script("ck.py", script, check=False)
    assert p.returncode == 3 and e["status"] == "failed"
    p2 = repo.exp("continue", e["id"], check=False)
    assert p2.returncode == 0, p2.stderr
    assert "checkpoint train restored" in p2.stderr
    logs = repo.exp("logs", e["id"]).stdout
    assert "attempt 2 weights 3" in logs and logs.count("training") == 0  # attempt 2's output
    import git_exp

    x = git_exp.get(e["id"], repo=repo.path)
    assert x.attempt == 2 and x.results["done"] is True
    assert [p["step"] for p in x.metrics()] == [0, 1, 2, 3]


def test_yanex_script_runs_with_only_the_import_changed(repo):
    _, e = repo.run_script("y.py", textwrap.dedent("""
        import git_exp.yanex as yanex

        params = yanex.get_params()
        lr = yanex.get_param("lr", 0.001)
        depth = yanex.get_param("model.depth", 1)
        missing = yanex.get_param("nope", "dflt")
        for step in range(3):
            yanex.log_metrics({"loss": 1.0 / (step + 1), "lr": lr}, step=step)
        yanex.log_results({"acc": 0.9})
        yanex.save_artifact({"depth": depth, "missing": missing}, "summary.json")
        yanex.save_artifact("done", "status.txt")
        yanex.save_artifact([{"a": 1}, {"a": 2, "b": 3}], "rows.csv")
        yanex.save_artifact({"x": [1, 2]}, "obj.pkl")
        yanex.save_artifact([{"i": 1}], "rows.jsonl")
        open("local.txt", "w").write("copied")
        yanex.copy_artifact("local.txt")
        yanex.copy_artifact("local.txt", "renamed.txt")
        assert yanex.artifact_exists("summary.json") and not yanex.artifact_exists("nope")
        assert yanex.load_artifact("obj.pkl") == {"x": [1, 2]} and yanex.load_artifact("nope.json") is None
        assert yanex.load_artifact("rows.jsonl") == [{"i": 1}]
        assert yanex.list_artifacts() == ["local.txt", "obj.pkl", "renamed.txt", "rows.csv", "rows.jsonl",
                                          "status.txt", "summary.json"], yanex.list_artifacts()
        assert yanex.get_artifacts_dir() is not None and yanex.has_context()
        assert yanex.get_metadata()["id"] == yanex.get_experiment_id()
        print("standalone", yanex.is_standalone(), "id", yanex.get_experiment_id())
    """), "-p", "lr=0.01", "-p", "model.depth=5")
    assert e["status"] == "completed"
    assert repo.exp("logs", e["id"]).stdout.strip() == f"standalone False id {e['id']}"
    import git_exp

    x = git_exp.get(e["id"], repo=repo.path)
    assert [p["step"] for p in x.metrics()] == [0, 1, 2, 3]
    assert json.loads(x.artifact("summary.json")) == {"depth": 5, "missing": "dflt"}
    assert x.artifact("rows.csv").decode().splitlines() == ["a,b", "1,", "2,3"]


def test_yanex_bare(tmp_path):
    script = tmp_path / "y.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(PY_DIR)!r})
        import git_exp.yanex as yanex
        assert yanex.is_standalone() and yanex.get_experiment_id() is None and not yanex.has_context()
        assert yanex.get_metadata() == {{}} and yanex.get_artifacts_dir() is None
        assert yanex.get_params() == {{}} and yanex.get_param("a.b", 3) == 3
        yanex.log_metrics({{"x": 1}})
        try:
            yanex.log_metrics({{"x": 1}}, step="1")
        except TypeError as e:
            print("TypeError", e)
        try:
            yanex.save_artifact(1, "x.unknown")
        except ValueError as e:
            print("ValueError", e)
        yanex.save_artifact(2, "x.unknown", saver=lambda o, p: open(p, "w").write(str(o)))
        print(yanex.list_artifacts(transitive=True))
    """))
    p = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True,
                       env={k: v for k, v in os.environ.items() if not k.startswith("GIT_EXP_")})
    assert p.returncode == 0, p.stderr
    assert "TypeError step parameter must be an int or None, got str" in p.stdout
    assert "ValueError Cannot auto-detect the format of 'x.unknown'" in p.stdout
    assert "{'local': ['x.unknown']}" in p.stdout
    assert (tmp_path / "exp-out" / "metrics.jsonl").exists()


def test_example_train_py_runs_tracked_and_bare(repo, tmp_path):
    src = ROOT / "examples" / "python"
    for f in src.iterdir():
        if f.is_file():
            shutil.copy(f, repo.path / f.name)
    repo.commit()
    p = repo.exp("run", "train.py", "-p", "epochs=3")
    import git_exp

    [x] = git_exp.experiments(repo=repo.path)
    assert x.status == "completed" and x.params.epochs == 3
    assert len(x.metrics()) == 3 and "val_acc" in x.results
    assert "model.json" in [a["path"] for a in x.artifacts()]
    assert "checkpoint" not in p.stderr
    # bare: the same script, no git-exp involved in writing
    env = {k: v for k, v in repo.env.items() if not k.startswith("GIT_EXP_")}
    env["PYTHONPATH"] = str(PY_DIR)
    b = subprocess.run(["python3", "train.py"], cwd=repo.path, env=env, capture_output=True, text=True)
    assert b.returncode == 0, b.stderr
    assert "not running under git exp" in b.stderr
    assert (repo.path / "exp-out" / "artifacts" / "model.json").exists()


def test_pip_install_offline(tmp_path):
    if subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True).returncode != 0:
        pytest.skip(f"no pip for {sys.executable}")
    target = tmp_path / "site"
    p = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-index", "--no-cache-dir", "--target", str(target), str(PY_DIR)],
        capture_output=True, text=True, env=dict(os.environ, PIP_NO_INDEX="1"),
    )
    assert p.returncode == 0, p.stdout + p.stderr
    assert sorted(n for n in os.listdir(target / "git_exp") if n != "__pycache__") == sorted(
        n for n in os.listdir(PY_DIR / "git_exp") if n.endswith(".py") or n == "py.typed"
    )
    q = subprocess.run([sys.executable, "-c", "import git_exp; print(git_exp.__version__, git_exp.__file__)"],
                       env=dict(os.environ, PYTHONPATH=str(target)), capture_output=True, text=True, cwd=tmp_path)
    import git_exp

    assert q.stdout.split() == [git_exp.__version__, str(target / "git_exp" / "__init__.py")]
