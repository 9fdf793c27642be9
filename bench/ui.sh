#!/usr/bin/env bash
# git exp ui (issue 17) on a 100,000-experiment store from bench/genstore, side by side with `git exp list --json`:
#   - the first page of the runs table (GET /api/experiments?limit=100), warm server answer < 300 ms
#     (also: sorted by a result, and filtered with --where, each warm)
#   - one metric of 1,000,000 points thinned to 1,000 (GET /api/experiments/ID/metrics?points=1000) < 200 ms, warm
#     and on a fresh server (the first chart after `git exp ui` starts, answered from the summary stored at the end
#     of the run: thin.FileName), with the server's CPU time (load-independent); then another width and a zoom,
#     first and warm, and the thinning against one plain reading of the series, in process: BenchmarkMetricsThin)
#     BASE_REV=<rev> also records the run with that revision (no stored summary: the fallback that reads the file,
#     as in stores written before it) and times, alternating with this build on fresh servers, that revision's
#     server on the same experiment and this build's on the one without the stored summary: the first start reads
#     the file and keeps its summary in .git/exp/cache/thin, later starts draw from that.
#   - the server's memory (VmHWM, peak resident set) < 200 MiB after all of that
# Times are curl's own time_total (the fork of curl is not in them); medians of ROUNDS (default 7).
#   N=100000 (default)  POINTS=1000000  ROUNDS=7  FRESH=3 (rounds of fresh servers)  BASE_REV=<rev>
set -euo pipefail
source "$(dirname "$0")/lib.sh"
N=${N:-100000}
POINTS=${POINTS:-1000000}
ROUNDS=${ROUNDS:-7}
FRESH=${FRESH:-3}

build_git_exp
build_base
(cd "$SRC" && go build -o "$BIN/genstore" ./bench/genstore)
(cd "$SRC" && go test -c -o "$BIN/ui.test" ./ui)
REPO="$WORK/store"
new_repo "$REPO"
cd "$REPO"
cat >train.py <<'PY'
import os, math
with open(os.environ["GIT_EXP_METRICS"], "w") as f:
    n = int(os.environ.get("POINTS", "1000000"))
    for s in range(n):
        f.write('{"step": %d, "loss": %.6g}\n' % (s, math.exp(-s / n * 5) + 0.01 * math.sin(s)))
PY
git add -A && git commit -q -m init
snap=$(git commit-tree 'HEAD^{tree}' -p HEAD -m "git-exp snapshot of main")
"$BIN/genstore" -C "$REPO" -n "$N" -snapshot "$snap"
T=()
POINTS=$POINTS timed T "$GIT_EXP" run train.py -q -n big-metric
log "recorded a run with $POINTS metric points in ${T[0]} ms"
BIG=$("$GIT_EXP" list --name big-metric --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
if [[ -n $BASE ]]; then
	TB=()
	POINTS=$POINTS timed TB "$BASE" run train.py -q -n big-metric-base
	log "the same run recorded by $BASE_REV in ${TB[0]} ms"
	PLAIN=$("$GIT_EXP" list --name big-metric-base --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
fi

"$GIT_EXP" ui --no-open --port 0 >"$WORK/ui.out" 2>"$WORK/ui.err" &
UI_PID=$!
trap 'kill $UI_PID 2>/dev/null || true; cleanup' EXIT
for _ in $(seq 100); do grep -q token= "$WORK/ui.out" 2>/dev/null && break; sleep 0.1; done
URL=$(sed -n 's/^git exp ui: \(http[^?]*\)\/?token=\(.*\)$/\1/p' "$WORK/ui.out")
TOKEN=$(sed -n 's/.*?token=//p' "$WORK/ui.out")
log "server $UI_PID at $URL"
get() { # get PATH: the answer's time in ms; anything but a 200 stops the benchmark
	curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -H "Authorization: Bearer $TOKEN" "$URL$1" |
		awk -v p="$1" '$1 != 200 { print "GET " p ": HTTP " $1 > "/dev/stderr"; exit 1 } { printf "%.1f\n", $2 * 1000 }'
}

measure() { # measure PATH: prints "cold median"
	local cold all=()
	cold=$(get "$1")
	for _ in $(seq "$ROUNDS"); do all+=("$(get "$1")"); done
	echo "$cold $(median "${all[@]}")"
}
read -r c1 w1 < <(measure "/api/experiments?limit=100")
read -r c2 w2 < <(measure "/api/experiments?limit=100&sort=-results.accuracy")
read -r c3 w3 < <(measure "/api/experiments?limit=100&where=lr%20%3E%200.001%20and%20results.accuracy%20%3E%3D%200.5&sort=-results.accuracy,lr")
read -r c4 w4 < <(measure "/api/experiments/$BIG/metrics?points=1000")
read -r c5 w5 < <(measure "/api/experiments/$BIG/metrics?points=1800")
read -r c6 w6 < <(measure "/api/experiments/$BIG/metrics?points=1000&from=400000&to=600000")
[[ -n ${w1:-} && -n ${w2:-} && -n ${w3:-} && -n ${w4:-} && -n ${w5:-} && -n ${w6:-} ]] || { echo "a request failed (see above)"; exit 1; }
L=()
for _ in $(seq "$ROUNDS"); do timed L "$GIT_EXP" list --json >/dev/null; done
# The browser: from navigation to the first rows shown, and a jump to the middle of the table (BenchmarkBrowserRunsPage).
B=$(cd "$SRC/ui" && GITEXP_UI_URL="$URL/?token=$TOKEN" "$BIN/ui.test" -test.run '^$' -test.bench BenchmarkBrowserRunsPage -test.benchtime 3x 2>/dev/null | grep Benchmark || true)
load_ms=$(echo "$B" | awk '{for (i = 1; i <= NF; i++) if ($i == "load-ms") print $(i-1)}')
jump_ms=$(echo "$B" | awk '{for (i = 1; i <= NF; i++) if ($i == "jump-ms") print $(i-1)}')
hwm=$(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' /proc/$UI_PID/status)
rss=$(awk '/VmRSS/ {printf "%.0f", $2 / 1024}' /proc/$UI_PID/status)
anon=$(awk '/RssAnon/ {printf "%.0f", $2 / 1024}' /proc/$UI_PID/status)
file=$(awk '/RssFile/ {printf "%.0f", $2 / 1024}' /proc/$UI_PID/status)
cache=$(cat "$REPO"/.git/exp/cache-v* | wc -c | awk '{printf "%.0f", $1 / 1048576}')
list_rss=$( { /usr/bin/time -f '%M' "$GIT_EXP" list --json >/dev/null; } 2>&1 | awk '{printf "%.0f", $1 / 1024}' || true)
kill -INT $UI_PID
wait $UI_PID || true

# The first chart on a fresh server, as the run page asks it (the experiment, then its metrics): the time of the
# metrics request and the server's CPU time for it (utime+stime from /proc, in clock ticks).
TICK_MS=$((1000 / $(getconf CLK_TCK)))
fresh() { # fresh BIN ID: prints "ms cpu-ms"
	"$1" ui --no-open --port 0 >"$WORK/ui2.out" 2>"$WORK/ui2.err" &
	UI_PID=$!
	for _ in $(seq 100); do grep -q token= "$WORK/ui2.out" 2>/dev/null && break; sleep 0.1; done
	URL=$(sed -n 's/^git exp ui: \(http[^?]*\)\/?token=\(.*\)$/\1/p' "$WORK/ui2.out")
	TOKEN=$(sed -n 's/.*?token=//p' "$WORK/ui2.out")
	get "/api/experiments/$2" >/dev/null
	local c0 c1 ms
	c0=$(awk '{print $14 + $15}' /proc/$UI_PID/stat)
	ms=$(get "/api/experiments/$2/metrics?points=1000")
	c1=$(awk '{print $14 + $15}' /proc/$UI_PID/stat)
	kill -INT $UI_PID
	wait $UI_PID || true
	echo "$ms $(((c1 - c0) * TICK_MS))"
}
# What storing the summary costs the end of a run: the same points appended by `cat` (nothing else to do) and
# stored, by this build and by BASE_REV, alternating, in a small repository of their own.
EN=() EB=()
if [[ -n $BASE ]]; then
	new_repo "$WORK/ends"
	POINTS=$POINTS GIT_EXP_METRICS="$WORK/points.jsonl" python3 train.py
	cd "$WORK/ends"
	git commit -q --allow-empty -m init
	for i in 1 2 3; do
		timed EN "$GIT_EXP" run -q -n "n$i" -- sh -c "cat '$WORK/points.jsonl' >> \"\$GIT_EXP_METRICS\"" 2>/dev/null
		timed EB "$BASE" run -q -n "b$i" -- sh -c "cat '$WORK/points.jsonl' >> \"\$GIT_EXP_METRICS\"" 2>/dev/null
	done
	cd "$REPO"
fi
FN=() FNC=() FB=() FBC=() FF=() FFC=()
rm -rf "$REPO/.git/exp/cache/thin" # PLAIN's first fresh server reads the file (and keeps its summary), later ones do not
for _ in $(seq "$FRESH"); do
	read -r ms cpu < <(fresh "$GIT_EXP" "$BIG") && FN+=("$ms") FNC+=("$cpu")
	if [[ -n $BASE ]]; then
		read -r ms cpu < <(fresh "$BASE" "$BIG") && FB+=("$ms") FBC+=("$cpu")
		read -r ms cpu < <(fresh "$GIT_EXP" "$PLAIN") && FF+=("$ms") FFC+=("$cpu")
	fi
done
[[ ${#FN[@]} -gt 0 ]] || { echo "the fresh-server requests failed (see above)"; exit 1; }

check "runs table, first page of $N, warm < 300 ms" "${w1} ms (first request after start ${c1} ms)" lt "$w1" 300
row "  same, sorted by -results.accuracy (warm / first)" "${w2} ms / ${c2} ms" info
row "  same, --where and two sort keys (warm / first)" "${w3} ms / ${c3} ms" info
check "metric of $POINTS points thinned to 1,000, warm < 200 ms" "${w4} ms (first on this server: ${c4} ms)" lt "$w4" 200
fn=$(median "${FN[@]}")
check "  same, first chart on a fresh server < 200 ms" "${fn} ms, server CPU $(median "${FNC[@]}") ms (from the stored summary; $(minmax "${FN[@]}"))" lt "$fn" 200
if [[ -n $BASE ]]; then
	row "  same on a fresh server of $BASE_REV (reads the file)" "$(median "${FB[@]}") ms, server CPU $(median "${FBC[@]}") ms ($(minmax "${FB[@]}"))" info
	row "  this build, a run recorded by $BASE_REV (no stored summary): first start" "${FF[0]} ms, server CPU ${FFC[0]} ms (the file read; its summary kept in .git/exp/cache/thin)" info
	if [[ ${#FF[@]} -gt 1 ]]; then
		row "  the same, later starts (from the summary kept)" "$(median "${FF[@]:1}") ms, server CPU $(median "${FFC[@]:1}") ms ($(minmax "${FF[@]:1}"))" info
	fi
	row "  the end of a run storing $POINTS points (3 rounds alternating)" "$(median "${EN[@]}") ms ($(minmax "${EN[@]}")) vs $BASE_REV $(median "${EB[@]}") ms ($(minmax "${EB[@]}"))" info
fi
row "  same metric at another width, 1,800 (first / warm)" "${c5} ms / ${w5} ms" info
row "  same metric zoomed to a fifth of its steps (first / warm)" "${c6} ms / ${w6} ms" info
check "server memory after all of the above < 200 MiB" "peak ${hwm} MiB (now ${rss}: ${anon} heap, ${file} the mapped ${cache} MiB cache file)" lt "$hwm" 200
row "side by side: git exp list --json of $N, peak memory" "${list_rss:-?} MiB" info
if [[ -n $load_ms ]]; then
	check "browser: runs table of $N shown after navigation < 1000 ms" "${load_ms} ms (a jump to the middle: ${jump_ms} ms)" lt "$load_ms" 1000
else
	row "browser: runs table shown after navigation < 1000 ms" "not measured (no /usr/bin/chromium)" info
fi
row "side by side: git exp list --json of $N (warm)" "$(median "${L[@]}") ms" info
# Thinning a series against one plain reading of it, alternating, in process (BenchmarkMetricsThin; revisions that
# have it).
if "$BIN/ui.test" -test.list BenchmarkMetricsThin 2>/dev/null | grep -q .; then
	M=$(cd "$SRC/ui" && GITEXP_BENCH_POINTS=$POINTS "$BIN/ui.test" -test.run '^$' -test.bench BenchmarkMetricsThin -test.benchtime 2x 2>/dev/null | grep Benchmark || true)
	read_ms=$(echo "$M" | awk '{for (i = 1; i <= NF; i++) if ($i == "read-ms") print $(i-1)}')
	thin_ms=$(echo "$M" | awk '{for (i = 1; i <= NF; i++) if ($i == "thin2000-ms") print $(i-1)}')
	ratio=$(echo "$M" | awk '{for (i = 1; i <= NF; i++) if ($i == "thin/read") print $(i-1)}')
	stored_ms=$(echo "$M" | awk '{for (i = 1; i <= NF; i++) if ($i == "stored-ms") print $(i-1)}')
	cached_ms=$(echo "$M" | awk '{for (i = 1; i <= NF; i++) if ($i == "cached-ms") print $(i-1)}')
	row "$POINTS points thinned to 2,000 vs one plain reading (in process)" "${thin_ms:-?} ms vs ${read_ms:-?} ms (${ratio:-?}x); from the stored summary ${stored_ms:-?} ms; from the one kept on disk ${cached_ms:-?} ms" info
fi
print_summary "git exp ui, $N experiments"
