#!/usr/bin/env bash
# Added cost of `git exp run` over running the same trivial script bare, in a small repository (issue 3).
# Target: median(git-exp run -q -- true) - median(true) < 50 ms. Measured alternating, ROUNDS (30) times:
#   /bin/true | git-exp run -q -- true | git exp run -q -- true | sh -c true | git-exp run -q -- sh -c true
# Also prints one traced run (GIT_EXP_TRACE=1): every git call the runner makes and its duration, and the number of
# git processes per run. BASE_REV=<rev> also builds that revision and times `git-exp run -q -- true` with it in the
# same alternation (issue 19: no regression, fewer processes), with its own count of git processes.
# TMPDIR=/dev/shm puts the repository on tmpfs: on a file system where creating a file is slow (ext4 without a
# journal after many deletions: 60-240 us per file, bench/README.md "Run overhead, fifth part") that measures the
# program rather than the file system's history.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ROUNDS=${ROUNDS:-30}

build_git_exp
build_base
REPO="$WORK/repo"
new_repo "$REPO"
cd "$REPO"
mkdir -p src
for i in $(seq 1 20); do echo "print($i)" >"src/m$i.py"; done
printf '# small repo\n' >README.md
git add -A && git commit -q -m init

bare_true() { /bin/true; }
exp_true() { "$GIT_EXP" run -q -- true >/dev/null 2>&1; }
git_exp_true() { git exp run -q -- true >/dev/null 2>&1; }
bare_sh() { sh -c true; }
exp_sh() { "$GIT_EXP" run -q -- sh -c true >/dev/null 2>&1; }
base_true() { "$BASE" run -q -- true >/dev/null 2>&1; }

# Warm-up (page cache, the store's first commit).
bare_true; exp_true; git_exp_true; bare_sh; exp_sh

[[ -n $BASE ]] && base_true
T_TRUE=() T_EXP=() T_GIT=() T_SH=() T_EXPSH=() T_BASE=()
log "alternating $ROUNDS rounds"
for i in $(seq 1 "$ROUNDS"); do
	timed T_TRUE bare_true
	timed T_EXP exp_true
	timed T_GIT git_exp_true
	timed T_SH bare_sh
	timed T_EXPSH exp_sh
	[[ -n $BASE ]] && timed T_BASE base_true
done

m_true=$(median "${T_TRUE[@]}") m_exp=$(median "${T_EXP[@]}") m_git=$(median "${T_GIT[@]}")
m_sh=$(median "${T_SH[@]}") m_expsh=$(median "${T_EXPSH[@]}")
printf '%-34s %10s %14s\n' "command" "median ms" "min..max ms"
printf '%-34s %10s %14s\n' "/bin/true" "$m_true" "$(minmax "${T_TRUE[@]}")"
printf '%-34s %10s %14s\n' "git-exp run -q -- true" "$m_exp" "$(minmax "${T_EXP[@]}")"
printf '%-34s %10s %14s\n' "git exp run -q -- true" "$m_git" "$(minmax "${T_GIT[@]}")"
printf '%-34s %10s %14s\n' "sh -c true" "$m_sh" "$(minmax "${T_SH[@]}")"
printf '%-34s %10s %14s\n' "git-exp run -q -- sh -c true" "$m_expsh" "$(minmax "${T_EXPSH[@]}")"
extra=0
if [[ -n $BASE ]]; then
	m_base=$(median "${T_BASE[@]}")
	printf '%-34s %10s %14s\n' "$BASE_REV: git-exp run -q -- true" "$m_base" "$(minmax "${T_BASE[@]}")"
	extra=$((ROUNDS + 1))
fi
n=$("$GIT_EXP" list --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
expect=$((3 * ROUNDS + 3 + extra))
echo "experiments recorded: $n (expected $expect)"

echo
echo "one traced run (GIT_EXP_TRACE=1 git-exp run -q -- true):"
t0=$(now_us)
GIT_EXP_TRACE=1 "$GIT_EXP" run -q -- true 2>"$WORK/trace.txt" >/dev/null
t1=$(now_us)
sed 's/^/  /' "$WORK/trace.txt"
echo "  git processes: $(grep -c '^trace: git' "$WORK/trace.txt"), total $(( (t1 - t0) / 1000 )) ms," \
	"sum of git calls $(grep -o '([0-9.]*[mµu]*s)' "$WORK/trace.txt" | tr -d '()' | awk '
		/µs$|us$/ {sub(/[µu]s$/, ""); s += $1 / 1000; next} /ms$/ {sub(/ms$/, ""); s += $1; next} /s$/ {sub(/s$/, ""); s += $1 * 1000}
		END {printf "%.1f ms", s}')"

procs=$(grep -c '^trace: git' "$WORK/trace.txt")
if [[ -n $BASE ]]; then
	GIT_EXP_TRACE=1 "$BASE" run -q -- true 2>"$WORK/trace-base.txt" >/dev/null
	bprocs=$(grep -c '^trace: git' "$WORK/trace-base.txt")
	echo "  $BASE_REV: git processes per run: $bprocs"
	addb=$(calc "$m_base - $m_true" 1)
	row "run overhead of $BASE_REV (same alternation)" "$addb ms, $bprocs git processes" "info"
fi
row "git processes per run (clean worktree)" "$procs" "info"
add=$(calc "$m_exp - $m_true" 1) addgit=$(calc "$m_git - $m_true" 1) addsh=$(calc "$m_expsh - $m_sh" 1)
check "run overhead: git-exp run -q -- true minus true < 20 ms (issue 19; quiet machine)" "$add ms ($m_exp - $m_true)" lt "$add" 20
check "run overhead through git exp < 50 ms" "$addgit ms ($m_git - $m_true)" lt "$addgit" 50
check "run overhead, sh -c true < 50 ms" "$addsh ms ($m_expsh - $m_sh)" lt "$addsh" 50
check "every run recorded" "$n of $expect" test "$n" -eq "$expect"
print_summary "bench/run_overhead.sh: small repository, $ROUNDS alternations, medians"
