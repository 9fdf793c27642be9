#!/usr/bin/env bash
# 1 GiB of script output through `git exp run` (issue 3): captured at >= 200 MB/s with the runner's peak RSS < 64 MiB.
# The script writes 1 GiB of compressible log text: yes "some log line with a number 12345" | head -c 1G.
# Alternating ROUNDS (3) times: the script bare (> /dev/null) | git-exp run -q | git-exp run (live output > /dev/null).
# Wall time includes recording: spooling, zstd compression into the store, the commits. MB = 10^6 bytes.
# Peak RSS is /usr/bin/time -v's "Maximum resident set size": the largest process of the tree (git-exp itself,
# or a git/sh/yes child if larger), so an upper bound of the runner's.
# BASE_REV=<rev> also builds that revision and times its `run -q` in the same alternation (issue 19: no regression).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ROUNDS=${ROUNDS:-3}
SIZE=$((1 << 30))

if [[ ! -x /usr/bin/time ]]; then
	log "installing GNU time"
	apt-get install -y -qq time >/dev/null
fi
build_git_exp
build_base
REPO="$WORK/repo"
new_repo "$REPO"
cd "$REPO"
echo "# output bench" >README.md
git add -A && git commit -q -m init

GEN='yes "some log line with a number 12345" | head -c 1G'
bare() { sh -c "$GEN" >/dev/null; }
quiet() { /usr/bin/time -v -o "$WORK/time.txt" "$GIT_EXP" run -q -- sh -c "$GEN" >/dev/null; }
live() { /usr/bin/time -v -o "$WORK/time.txt" "$GIT_EXP" run -- sh -c "$GEN" >/dev/null; }
base_quiet() { /usr/bin/time -v -o "$WORK/time.txt" "$BASE" run -q -- sh -c "$GEN" >/dev/null; }
rss_kb() { awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$WORK/time.txt"; }

TB=() TQ=() TL=() RQ=() RL=() TX=()
for i in $(seq 1 "$ROUNDS"); do
	log "round $i of $ROUNDS"
	timed TB bare
	timed TQ quiet
	RQ+=("$(rss_kb)")
	timed TL live
	RL+=("$(rss_kb)")
	[[ -n $BASE ]] && timed TX base_quiet
	rm -rf .git/exp/runs/* # nothing should be left; a crashed run would leave its spool
done

# The last experiment holds the whole output.
id=$("$GIT_EXP" list --json | python3 -c 'import json,sys; print(sorted(json.load(sys.stdin), key=lambda e: e["created"])[-1]["id"])')
stored=$("$GIT_EXP" logs "$id" | wc -c)
zst=$(git cat-file -s "refs/experiments/main:${id:0:2}/$id/stdout.zst")
echo "stored output of $id: $stored bytes (expected $SIZE), stdout.zst $zst bytes"

tb=$(median "${TB[@]}") tq=$(median "${TQ[@]}") tl=$(median "${TL[@]}")
mbs() { calc "$SIZE / 1000000 / ($1 / 1000)" 0; }
rq=$(printf '%s\n' "${RQ[@]}" | sort -n | tail -1) rl=$(printf '%s\n' "${RL[@]}" | sort -n | tail -1)
rqm=$(calc "$rq / 1024" 1) rlm=$(calc "$rl / 1024" 1)
printf '%-34s %10s %12s %14s\n' "1 GiB of output" "median ms" "MB/s" "peak RSS MiB"
printf '%-34s %10s %12s %14s\n' "bare (sh -c ... > /dev/null)" "$tb" "$(mbs "$tb")" "-"
printf '%-34s %10s %12s %14s\n' "git-exp run -q" "$tq" "$(mbs "$tq")" "$rqm (max of $ROUNDS)"
printf '%-34s %10s %12s %14s\n' "git-exp run (live > /dev/null)" "$tl" "$(mbs "$tl")" "$rlm (max of $ROUNDS)"
[[ -n $BASE ]] && printf '%-34s %10s %12s %14s\n' "$BASE_REV: git-exp run -q" "$(median "${TX[@]}")" "$(mbs "$(median "${TX[@]}")")" "-"

check "1 GiB captured, -q, >= 200 MB/s" "$(mbs "$tq") MB/s ($tq ms; bare $(mbs "$tb") MB/s)" le 200 "$(mbs "$tq")"
check "1 GiB captured, live, >= 200 MB/s" "$(mbs "$tl") MB/s ($tl ms)" le 200 "$(mbs "$tl")"
[[ -n $BASE ]] && row "-q vs $BASE_REV (same alternation)" "$(mbs "$tq") vs $(mbs "$(median "${TX[@]}")") MB/s" info
check "peak RSS, -q, < 64 MiB" "$rqm MiB" lt "$rqm" 64
check "peak RSS, live, < 64 MiB" "$rlm MiB" lt "$rlm" 64
check "all of the output stored" "$stored of $SIZE bytes" test "$stored" -eq "$SIZE"
print_summary "bench/output.sh: 1 GiB of output, $ROUNDS alternations, medians"
