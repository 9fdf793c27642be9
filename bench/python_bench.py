"""Measurements for bench/python.sh (issue 16): import time, logging throughput and memory, dataframe() of a store.

    python3 bench/python_bench.py import
    python3 bench/python_bench.py log N            # git_exp.log vs plain JSON-line writes, N points each
    python3 bench/python_bench.py dataframe REPO   # git_exp.dataframe() of REPO vs `git exp export --format jsonl`

Each prints `name value` lines that python.sh turns into its table. git_exp must be importable (PYTHONPATH).
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def child(kind: str, n: int, path: str) -> None:
    """One logging run in a fresh process, so that its peak RSS is its own."""
    base_rss = rss_mb()
    if kind == "git_exp":
        import git_exp

        c = git_exp.Client(environ={"GIT_EXP_ID": "0" * 16, "GIT_EXP_METRICS": path, "GIT_EXP_RESULTS": path + ".r",
                                    "GIT_EXP_OUT": path + ".out"})
        t0 = time.perf_counter()
        for i in range(n):
            c.log({"loss": 1.0 / (i + 1), "acc": i / n}, step=i)
        c.close()
    elif kind == "plain":
        # The same lines, written with json.dumps and a buffered file write; the time string is made once per
        # second (as git_exp does), so this baseline does no more work than it must.
        f = open(path, "a", encoding="utf-8")
        t0 = time.perf_counter()
        last, prefix = -1, ""
        for i in range(n):
            ns = time.time_ns()
            sec = ns // 1_000_000_000
            if sec != last:
                last, prefix = sec, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec))
            t = f"{prefix}.{ns % 1_000_000_000:09d}Z"
            f.write(json.dumps({"step": i, "time": t, "acc": i / n, "loss": 1.0 / (i + 1)}, separators=(",", ":")) + "\n")
        f.close()
    else:
        raise SystemExit(f"unknown kind {kind}")
    dt = time.perf_counter() - t0
    print(json.dumps({"seconds": dt, "rss_growth_mb": rss_mb() - base_rss, "bytes": os.path.getsize(path)}))


def bench_log(n: int, rounds: int) -> None:
    res = {"git_exp": [], "plain": []}
    growth = {"git_exp": [], "plain": []}
    with tempfile.TemporaryDirectory() as d:
        for r in range(rounds):
            for kind in ("plain", "git_exp"):  # alternating, side by side
                path = os.path.join(d, f"{kind}-{r}.jsonl")
                out = subprocess.run([sys.executable, __file__, "child", kind, str(n), path],
                                     capture_output=True, text=True, check=True)
                m = json.loads(out.stdout)
                res[kind].append(m["seconds"])
                growth[kind].append(m["rss_growth_mb"])
                os.remove(path)
    g, p = statistics.median(res["git_exp"]), statistics.median(res["plain"])
    print(f"log_points {n}")
    print(f"log_git_exp_s {g:.3f}")
    print(f"log_plain_s {p:.3f}")
    print(f"log_speed_ratio {p / g:.2f}")  # >= 0.5: at least half as fast as plain writes
    print(f"log_git_exp_points_per_s {n / g:.0f}")
    print(f"log_git_exp_rss_growth_mb {max(growth['git_exp']):.1f}")
    print(f"log_plain_rss_growth_mb {max(growth['plain']):.1f}")


def bench_import(rounds: int) -> None:
    times = []
    for _ in range(rounds):
        out = subprocess.run([sys.executable, "-X", "importtime", "-c", "import git_exp"], capture_output=True, text=True,
                             check=True)
        last = [line for line in out.stderr.splitlines() if line.rstrip().endswith("| git_exp")][-1]
        times.append(int(last.split("|")[1]) / 1000)  # cumulative microseconds -> ms
    print(f"import_ms {statistics.median(times):.1f}")
    print(f"import_ms_max {max(times):.1f}")


def bench_dataframe(repo: str, rounds: int) -> None:
    import git_exp
    import pandas  # noqa: F401 - imported before timing: dataframe() is measured, not pandas' import

    exe = git_exp._binary.binary()
    df_t, ex_t = [], []
    n = 0
    for _ in range(rounds):
        t0 = time.perf_counter()
        subprocess.run([exe, "-C", repo, "export", "--format=jsonl"], stdout=subprocess.DEVNULL, check=True)
        ex_t.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        df = git_exp.dataframe(repo=repo)
        df_t.append(time.perf_counter() - t0)
        n = len(df)
    print(f"df_rows {n}")
    print(f"df_columns {len(df.columns)}")
    print(f"df_s {statistics.median(df_t):.3f}")
    print(f"export_s {statistics.median(ex_t):.3f}")


if __name__ == "__main__":
    what = sys.argv[1]
    if what == "child":
        child(sys.argv[2], int(sys.argv[3]), sys.argv[4])
    elif what == "log":
        bench_log(int(sys.argv[2]), int(os.environ.get("ROUNDS", "3")))
    elif what == "import":
        bench_import(int(os.environ.get("ROUNDS", "15")))
    elif what == "dataframe":
        bench_dataframe(sys.argv[2], int(os.environ.get("ROUNDS", "3")))
    else:
        raise SystemExit(__doc__)
