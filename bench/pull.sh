#!/usr/bin/env bash
# Pull of 10,000 new experiments (issue 8). Target: the merge costs at most 2x the `git fetch` itself.
# Each round uses a fresh clone that has one experiment of its own (so the pull is a real merge, not a
# fast-forward): first `git fetch` of the experiments alone is timed, then `git exp pull` (its own fetch now
# finds nothing new, so its time is the merge), side by side.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ROUNDS=${ROUNDS:-5}
N=${N:-10000}

build_git_exp
(cd "$MODULE_DIR" && go build -o "$BIN/genstore" ./bench/genstore)
new_repo "$WORK/a"
cd "$WORK/a"
echo x >f && git add f && git commit -q -m init
"$BIN/genstore" -C . -n "$N" -snapshot "$(git rev-parse HEAD)" >/dev/null
git init -q --bare "$WORK/hub.git"
git push -q "$WORK/hub.git" HEAD:refs/heads/main refs/experiments/main:refs/experiments/main

T_FETCH=() T_PULL=()
for i in $(seq 1 "$ROUNDS"); do
	c="$WORK/clone$i"
	git clone -q "$WORK/hub.git" "$c" 2>/dev/null
	git -C "$c" config user.name bench && git -C "$c" config user.email bench@example.com
	(cd "$c" && "$GIT_EXP" run -q -- true >/dev/null)
	fetch() { git -C "$c" fetch -q origin "+refs/experiments/main:refs/experiments/remotes/origin/main"; }
	pull() { (cd "$c" && "$GIT_EXP" pull origin 2>/dev/null); }
	timed T_FETCH fetch
	timed T_PULL pull
	n=$(cd "$c" && "$GIT_EXP" list | wc -l)
	[[ $n -eq $((N + 1)) ]] || { echo "clone $i holds $n experiments, expected $((N + 1))" >&2; exit 1; }
done
m_fetch=$(median "${T_FETCH[@]}") m_pull=$(median "${T_PULL[@]}")
printf '%-44s %10s %14s\n' "command" "median ms" "min..max ms"
printf '%-44s %10s %14s\n' "git fetch of $N experiments" "$m_fetch" "$(minmax "${T_FETCH[@]}")"
printf '%-44s %10s %14s\n' "git exp pull (the merge; fetch finds nothing)" "$m_pull" "$(minmax "${T_PULL[@]}")"
ratio=$(calc "$m_pull / $m_fetch" 2)
check "merge of $N new experiments <= 2x git fetch" "$m_pull vs $m_fetch ms = ${ratio}x" le "$ratio" 2
check "every clone holds all experiments after the pull" "$((N + 1)) each" true
print_summary "bench/pull.sh: $ROUNDS fresh clones, medians"
