#!/usr/bin/env bash
# Importing an MLflow file store (issue 20): 1,000 runs x 1,000 metric points in < 30 s, in constant memory.
# Generates the store with bench/genmlflow (MLflow's FileStore layout), then imports it with /usr/bin/time -v into a
# fresh repository, ROUNDS (3) times; and once a store of RUNS_SMALL (300) runs, to show that the peak RSS does not
# grow with the number of runs (blobs are batched 8 MiB at a time). CPU time (user + sys of git-exp and its git
# children) is printed too: on a loaded machine it says more than the wall time. Also times the second import of the same store (idempotent: nothing to do).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ROUNDS=${ROUNDS:-3}
RUNS=${RUNS:-1000}
POINTS=${POINTS:-1000}
RUNS_SMALL=${RUNS_SMALL:-300}

if [[ ! -x /usr/bin/time ]]; then
	log "installing GNU time"
	apt-get install -y -qq time >/dev/null
fi
build_git_exp
(cd "$SRC" && go build -o "$BIN/genmlflow" ./bench/genmlflow)
log "generating $RUNS runs x $POINTS points"
"$BIN/genmlflow" -o "$WORK/mlruns" -runs "$RUNS" -points "$POINTS"
"$BIN/genmlflow" -o "$WORK/small" -runs "$RUNS_SMALL" -points "$POINTS"

rss_kb() { awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$WORK/time.txt"; }
cpu_ms() { awk -F: '/User time|System time/ {s += $2} END {printf "%.0f\n", s * 1000}' "$WORK/time.txt"; }
import_into() { # import_into REPO STORE
	rm -rf "$1"
	new_repo "$1"
	(cd "$1" && /usr/bin/time -v -o "$WORK/time.txt" "$GIT_EXP" import mlflow "$2" 2>"$WORK/summary.txt")
}

T=() R=() TA=() C=()
for i in $(seq 1 "$ROUNDS"); do
	log "round $i of $ROUNDS"
	timed T import_into "$WORK/repo" "$WORK/mlruns"
	R+=("$(rss_kb)")
	C+=("$(cpu_ms)")
	cat "$WORK/summary.txt" >&2
	timed TA bash -c "cd '$WORK/repo' && '$GIT_EXP' import mlflow '$WORK/mlruns' 2>/dev/null"
done
n=$(cd "$WORK/repo" && "$GIT_EXP" list | wc -l)
timed TS import_into "$WORK/repo-small" "$WORK/small"
rs=$(rss_kb)

t=$(median "${T[@]}") ta=$(median "${TA[@]}") c=$(median "${C[@]}")
r=$(printf '%s\n' "${R[@]}" | sort -n | tail -1)
rm_=$(calc "$r / 1024" 1) rsm=$(calc "$rs / 1024" 1)
printf '%-40s %12s %14s %12s\n' "import" "median ms" "peak RSS MiB" "CPU ms"
printf '%-40s %12s %14s %12s\n' "$RUNS runs x $POINTS points" "$t ($(minmax "${T[@]}"))" "$rm_ (max of $ROUNDS)" "$c"
printf '%-40s %12s %14s\n' "$RUNS_SMALL runs x $POINTS points" "${TS[0]}" "$rsm"
printf '%-40s %12s %14s\n' "again (all already imported)" "$ta" "-"

check "$RUNS x $POINTS MLflow import < 30 s" "$t ms" lt "$t" 30000
check "all $RUNS runs listed" "$n" test "$n" -eq "$RUNS"
check "constant memory: peak RSS at $RUNS runs < 1.5x at $RUNS_SMALL" "$rm_ MiB vs $rsm MiB" lt "$r" "$(calc "$rs * 1.5" 0)"
row "CPU time of the import (user + sys)" "$c ms" info
row "second import (nothing to do)" "$ta ms" info
print_summary "bench/import.sh"
