#!/usr/bin/env bash
# Issue 16: the Python client's performance targets, each side by side with its baseline.
#   import git_exp                                  < 30 ms (in-process, -X importtime, from git-exp's extracted copy)
#   git_exp.log of 1,000,000 points                 >= 0.5x the speed of plain json.dumps + file.write, constant memory
#   git_exp.dataframe() of 10,000 experiments       < 2 s, next to `git exp export --format jsonl` alone
# POINTS=1000000 N=10000 ROUNDS=3 PY=/usr/bin/python3 (needs pandas for the dataframe part).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

POINTS=${POINTS:-1000000}
N=${N:-10000}
PY=${PY:-/usr/bin/python3}
build_git_exp
(cd "$SRC" && go build -o "$BIN/genstore" ./bench/genstore)

REPO="$WORK/repo"
new_repo "$REPO"
git -C "$REPO" commit -q --allow-empty -m init
log "genstore: $N experiments"
"$BIN/genstore" -C "$REPO" -n "$N" >/dev/null

# The package as a script under `git exp run` gets it: extracted by the binary, byte-compiled on first import.
PYDIR=$(cd "$REPO" && git exp python-path)
export PYTHONPATH="$PYDIR"
unset PYTHONDONTWRITEBYTECODE
"$PY" -c 'import git_exp' # writes __pycache__, as the first run of a script would

declare -A R
while read -r k v; do R[$k]=$v; done < <(
	"$PY" "$BENCH_DIR/python_bench.py" import
	ROUNDS=${ROUNDS:-3} "$PY" "$BENCH_DIR/python_bench.py" log "$POINTS"
	if "$PY" -c 'import pandas' 2>/dev/null; then
		ROUNDS=${ROUNDS:-3} "$PY" "$BENCH_DIR/python_bench.py" dataframe "$REPO"
	fi
)

check "import git_exp < 30 ms" "${R[import_ms]} ms (max ${R[import_ms_max]})" lt "${R[import_ms]}" 30
check "log ${R[log_points]} points >= 0.5x plain writes" \
	"${R[log_speed_ratio]}x (git_exp ${R[log_git_exp_s]} s, plain ${R[log_plain_s]} s; ${R[log_git_exp_points_per_s]} points/s)" \
	le 0.5 "${R[log_speed_ratio]}"
check "log in constant memory" "peak RSS +${R[log_git_exp_rss_growth_mb]} MiB (plain +${R[log_plain_rss_growth_mb]} MiB)" \
	lt "${R[log_git_exp_rss_growth_mb]}" 16
if [[ -n ${R[df_s]:-} ]]; then
	check "dataframe() of ${R[df_rows]} experiments < 2 s" \
		"${R[df_s]} s (${R[df_columns]} columns; export --format jsonl alone ${R[export_s]} s)" lt "${R[df_s]}" 2
else
	row "dataframe() of $N experiments < 2 s" "not measured: no pandas for $PY" "info"
fi
print_summary "bench/python.sh"
