#!/usr/bin/env bash
# Sweeps (issue 5): 200 runs of `sleep 0.2` with -j 2 take at most 1.2x `seq 200 | xargs -P 2 -I{} sh -c 'sleep 0.2'`,
# and the bookkeeping per run of a trivial script is under 30 ms. Alternating, ROUNDS (3) times each:
#   git-exp run -q --param 'i=range(200)' -j 2 -- sh -c 'sleep 0.2'   vs   seq 200 | xargs -P 2 -I{} sh -c 'sleep 0.2'
#   git-exp run -q --param 'i=range(B)' -j 1 -- true                   vs   seq B | xargs -P 1 -I{} true   (B=BOOK, 100)
# Bookkeeping per run = (median git-exp - median xargs) / B, with -j 1 so that runs do not overlap.
# BASE_REV=<rev> also builds that revision and times both git-exp commands with it in the same alternation, in a
# repository of its own (issue 19: no regression against the previous revision).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ROUNDS=${ROUNDS:-3}
RUNS=${RUNS:-200}
BOOK=${BOOK:-100}

build_git_exp
build_base
for REPO in "$WORK/repo-base" "$WORK/repo"; do
	new_repo "$REPO"
	echo "# sweep bench" >"$REPO/README.md"
	git -C "$REPO" add -A && git -C "$REPO" commit -q -m init
done
cd "$REPO"

sweep_exp() { "$GIT_EXP" run -q --param "i=range($RUNS)" -j 2 -- sh -c 'sleep 0.2' >/dev/null 2>&1; }
sweep_bare() { seq "$RUNS" | xargs -P 2 -I{} sh -c 'sleep 0.2'; }
book_exp() { "$GIT_EXP" run -q --param "i=range($BOOK)" -j 1 -- true >/dev/null 2>&1; }
book_bare() { seq "$BOOK" | xargs -P 1 -I{} true; }
sweep_base() { (cd "$WORK/repo-base" && GIT_EXP=$BASE sweep_exp); }
book_base() { (cd "$WORK/repo-base" && GIT_EXP=$BASE book_exp); }

SE=() SB=() BE=() BB=() SX=() BX=()
for i in $(seq 1 "$ROUNDS"); do
	log "round $i of $ROUNDS"
	timed SB sweep_bare
	timed SE sweep_exp
	[[ -n $BASE ]] && timed SX sweep_base
	timed BB book_bare
	timed BE book_exp
	[[ -n $BASE ]] && timed BX book_base
done
n=$("$GIT_EXP" list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
bad=$("$GIT_EXP" list --json | python3 -c 'import json,sys; print(sum(e["status"] != "completed" for e in json.load(sys.stdin)))')
expect=$((ROUNDS * (RUNS + BOOK)))
echo "experiments recorded: $n (expected $expect), not completed: $bad"

se=$(median "${SE[@]}") sb=$(median "${SB[@]}") be=$(median "${BE[@]}") bb=$(median "${BB[@]}")
ratio=$(calc "$se / $sb" 3)
per=$(calc "($be - $bb) / $BOOK" 1)
printf '%-52s %10s %16s\n' "command" "median ms" "min..max ms"
printf '%-52s %10s %16s\n' "seq $RUNS | xargs -P 2 sh -c 'sleep 0.2'" "$sb" "$(minmax "${SB[@]}")"
printf '%-52s %10s %16s\n' "git-exp run -q -p i=range($RUNS) -j 2 -- sh -c 'sleep 0.2'" "$se" "$(minmax "${SE[@]}")"
printf '%-52s %10s %16s\n' "seq $BOOK | xargs -P 1 true" "$bb" "$(minmax "${BB[@]}")"
printf '%-52s %10s %16s\n' "git-exp run -q -p i=range($BOOK) -j 1 -- true" "$be" "$(minmax "${BE[@]}")"
if [[ -n $BASE ]]; then
	sx=$(median "${SX[@]}") bx=$(median "${BX[@]}")
	printf '%-52s %10s %16s\n' "$BASE_REV: the sweep" "$sx" "$(minmax "${SX[@]}")"
	printf '%-52s %10s %16s\n' "$BASE_REV: the $BOOK trivial runs" "$bx" "$(minmax "${BX[@]}")"
fi

check "sweep $RUNS x sleep 0.2, -j 2: <= 1.2x xargs -P 2" "${ratio}x ($se vs $sb ms)" le "$ratio" 1.2
check "bookkeeping per run (trivial script) < 30 ms" "$per ms (($be - $bb) / $BOOK)" lt "$per" 30
if [[ -n $BASE ]]; then
	row "sweep vs $BASE_REV (same alternation)" "$(calc "$se / $sx" 3)x ($se vs $sx ms)" info
	row "bookkeeping per run vs $BASE_REV" "$per ms vs $(calc "($bx - $bb) / $BOOK" 1) ms" info
fi
check "every run recorded and completed" "$n of $expect, $bad not completed" test "$n" -eq "$expect" -a "$bad" -eq 0
print_summary "bench/sweep.sh: $ROUNDS alternations, medians"
