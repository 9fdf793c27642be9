#!/usr/bin/env bash
# `git exp metrics` streams (issue 19): peak memory independent of the series length, and a 1M-point series printed
# in no more time than a plain line-by-line parse of the same JSONL in Python.
# POINTS (1000000) points like exp.Log writes them ({"step","time","acc","loss"}) are logged by one run; then,
# alternating ROUNDS (5) times: python3 -c 'json.loads' of every line (the baseline) | git exp metrics --json |
# --csv | TSV (a pipe), each to /dev/null under /usr/bin/time -v (peak RSS). BIG (10000000) points: one run of
# --json for the peak RSS at 10M (BIG=0 skips it). BASE_REV=<rev> also builds that revision and times its
# `metrics --json` in the same alternation (the in-memory reader before issue 19: BASE_REV=6a58ca0).
# The run that stores the series is timed too, next to `git hash-object -w` of the same file (storing at the end of a
# run, issue 19: >= 300 MB/s).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ROUNDS=${ROUNDS:-5}
POINTS=${POINTS:-1000000}
BIG=${BIG:-10000000}

build_git_exp
build_base

gen() { # gen N FILE: N points as exp.Log writes them
	python3 - "$1" "$2" <<'PY'
import sys, random
n, path = int(sys.argv[1]), sys.argv[2]
r = random.Random(1)
with open(path, "w") as f:
    for i in range(n):
        f.write('{"step":%d,"time":"2025-01-02T03:04:%02d.%09dZ","acc":%r,"loss":%r}\n'
                % (i, i % 60, i % 1000000000, r.random(), r.random() * 10))
PY
}

REPO="$WORK/repo"
new_repo "$REPO"
cd "$REPO"
echo "# metrics bench" >README.md
git add -A && git commit -q -m init

log "generating $POINTS points"
gen "$POINTS" "$WORK/points.jsonl"
size=$(stat -c %s "$WORK/points.jsonl")
log "storing them with git exp run (and git hash-object -w of the same file, alternating)"
TR=() TC=() TH=()
for i in $(seq 1 3); do
	timed TC sh -c "cat '$WORK/points.jsonl' > /dev/null"
	timed TR "$GIT_EXP" run -q --name "m$i" -- sh -c "cat '$WORK/points.jsonl' >> \"\$GIT_EXP_METRICS\""
	# In a repository of its own (the object is the one git-exp stores: deleting it here must not touch the store).
	rm -rf "$WORK/hash" && git init -q "$WORK/hash"
	timed TH git -C "$WORK/hash" hash-object -w --no-filters "$WORK/points.jsonl" >/dev/null
done
rm -rf "$WORK/hash"
ID=m1

py() { /usr/bin/time -v -o "$WORK/t.py" python3 -c 'import json, sys
for line in open(sys.argv[1]):
    json.loads(line)' "$WORK/points.jsonl"; }
run_json() { /usr/bin/time -v -o "$WORK/t.json" "$GIT_EXP" metrics "$ID" --json >/dev/null; }
run_csv() { /usr/bin/time -v -o "$WORK/t.csv" "$GIT_EXP" metrics "$ID" --csv >/dev/null; }
run_tsv() { /usr/bin/time -v -o "$WORK/t.tsv" "$GIT_EXP" metrics "$ID" >/dev/null; }
run_base() { /usr/bin/time -v -o "$WORK/t.base" "$BASE" metrics "$ID" --json >/dev/null; }
rss_mib() { awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); printf "%.1f\n", $2 / 1024}' "$1"; }

# Same bytes as the file says: --json has POINTS objects.
n=$("$GIT_EXP" metrics "$ID" --csv | wc -l)
[[ $n -eq $((POINTS + 1)) ]] || { echo "metrics --csv printed $n lines, want $((POINTS + 1))" >&2; exit 1; }

TP=() TJ=() TS=() TT=() TB=() RP=() RJ=() RS=() RT=() RB=()
for i in $(seq 1 "$ROUNDS"); do
	log "round $i of $ROUNDS"
	timed TP py
	RP+=("$(rss_mib "$WORK/t.py")")
	timed TJ run_json
	RJ+=("$(rss_mib "$WORK/t.json")")
	timed TS run_csv
	RS+=("$(rss_mib "$WORK/t.csv")")
	timed TT run_tsv
	RT+=("$(rss_mib "$WORK/t.tsv")")
	if [[ -n $BASE ]]; then
		timed TB run_base
		RB+=("$(rss_mib "$WORK/t.base")")
	fi
done
maxof() { printf '%s\n' "$@" | sort -g | tail -1; }
tp=$(median "${TP[@]}") tj=$(median "${TJ[@]}") ts=$(median "${TS[@]}") tt=$(median "${TT[@]}")
printf '%-40s %10s %12s %14s\n' "$POINTS points ($size bytes)" "median ms" "min..max" "peak RSS MiB"
printf '%-40s %10s %12s %14s\n' "python3 json.loads per line" "$tp" "$(minmax "${TP[@]}")" "$(maxof "${RP[@]}")"
printf '%-40s %10s %12s %14s\n' "git exp metrics --json" "$tj" "$(minmax "${TJ[@]}")" "$(maxof "${RJ[@]}")"
printf '%-40s %10s %12s %14s\n' "git exp metrics --csv" "$ts" "$(minmax "${TS[@]}")" "$(maxof "${RS[@]}")"
printf '%-40s %10s %12s %14s\n' "git exp metrics (TSV)" "$tt" "$(minmax "${TT[@]}")" "$(maxof "${RT[@]}")"
if [[ -n $BASE ]]; then
	printf '%-40s %10s %12s %14s\n' "$BASE_REV metrics --json" "$(median "${TB[@]}")" "$(minmax "${TB[@]}")" "$(maxof "${RB[@]}")"
fi
tc=$(median "${TC[@]}") tr=$(median "${TR[@]}") th=$(median "${TH[@]}")
store_ms=$(calc "$tr - $tc" 1)
printf '%-40s %10s\n' "cat of the file (the run's script)" "$tc"
printf '%-40s %10s   storing: %s MB/s\n' "git exp run -q (cat into GIT_EXP_METRICS)" "$tr" "$(calc "$size / 1000 / $store_ms" 0)"
printf '%-40s %10s   %s MB/s\n' "git hash-object -w of the file" "$th" "$(calc "$size / 1000 / $th" 0)"

for f in json csv tsv; do
	case $f in json) t=$tj r=$(maxof "${RJ[@]}") ;; csv) t=$ts r=$(maxof "${RS[@]}") ;; tsv) t=$tt r=$(maxof "${RT[@]}") ;; esac
	check "$POINTS points, $f, time <= python line parse" "$t ms vs $tp ms ($(calc "$t / $tp") x)" le "$t" "$tp"
	check "$POINTS points, $f, peak RSS < 64 MiB" "$r MiB" lt "$r" 64
done
row "run overhead of storing $size bytes of metrics" "$store_ms ms ($tr - $tc), git hash-object -w $th ms" info

if [[ $BIG -gt 0 ]]; then
	log "generating $BIG points"
	gen "$BIG" "$WORK/big.jsonl"
	"$GIT_EXP" run -q --name big -- sh -c "cat '$WORK/big.jsonl' >> \"\$GIT_EXP_METRICS\""
	rm -f "$WORK/big.jsonl"
	TBIG=()
	timed TBIG /usr/bin/time -v -o "$WORK/t.big" "$GIT_EXP" metrics big --json >/dev/null
	rb=$(rss_mib "$WORK/t.big")
	check "$BIG points, --json, peak RSS < 64 MiB" "$rb MiB (${TBIG[0]} ms)" lt "$rb" 64
fi
print_summary "bench/metrics.sh: $POINTS points, $ROUNDS alternations, medians"
