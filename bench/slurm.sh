#!/usr/bin/env bash
# Overhead of git-exp per Slurm job (issue 9), against `sbatch --wrap` of the same script followed until it ends
# (polling squeue every 0.1 s, as a person's script would). Target: under 200 ms per job. Needs a running Slurm:
# scripts/slurm.sh install && scripts/slurm.sh start.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ROUNDS=${ROUNDS:-7}
scontrol ping 2>/dev/null | grep -q UP || { echo "no Slurm controller answers: run scripts/slurm.sh start" >&2; exit 2; }

build_git_exp
new_repo "$WORK/repo"
cd "$WORK/repo"
printf '#!/bin/sh\necho hi\n' >t.sh && chmod +x t.sh && git add t.sh && git commit -q -m init

wait_job() { while squeue -h -j "$1" 2>/dev/null | grep -q .; do sleep 0.1; done; }
bare() { local id; id=$(sbatch --parsable --chdir="$PWD" --output=/dev/null --wrap="$PWD/t.sh"); wait_job "$id"; }
bare6() {
	local ids=() id
	for i in 1 2 3 4 5 6; do ids+=("$(sbatch --parsable --chdir="$PWD" --output=/dev/null --wrap="$PWD/t.sh")"); done
	for id in "${ids[@]}"; do wait_job "$id"; done
}
gx() { "$GIT_EXP" run --executor slurm -q t.sh >/dev/null 2>&1; }
gx6() { "$GIT_EXP" run --executor slurm -q -j 0 -p 'i=range(6)' t.sh >/dev/null 2>&1; }
bare; gx # warm-up

T_BARE=() T_GX=() T_BARE6=() T_GX6=()
for i in $(seq 1 "$ROUNDS"); do
	timed T_BARE bare
	timed T_GX gx
	timed T_BARE6 bare6
	timed T_GX6 gx6
done
m_bare=$(median "${T_BARE[@]}") m_gx=$(median "${T_GX[@]}") m_bare6=$(median "${T_BARE6[@]}") m_gx6=$(median "${T_GX6[@]}")
printf '%-46s %10s %14s\n' "command" "median ms" "min..max ms"
printf '%-46s %10s %14s\n' "sbatch --wrap t.sh, followed to its end" "$m_bare" "$(minmax "${T_BARE[@]}")"
printf '%-46s %10s %14s\n' "git exp run --executor slurm t.sh" "$m_gx" "$(minmax "${T_GX[@]}")"
printf '%-46s %10s %14s\n' "6 x sbatch --wrap, followed to their end" "$m_bare6" "$(minmax "${T_BARE6[@]}")"
printf '%-46s %10s %14s\n' "git exp run --executor slurm, a grid of 6" "$m_gx6" "$(minmax "${T_GX6[@]}")"
one=$(calc "$m_gx - $m_bare" 0) six=$(calc "($m_gx6 - $m_bare6) / 6" 0)
check "overhead per Slurm job, one job < 200 ms" "$one ms ($m_gx - $m_bare)" lt "$one" 200
check "overhead per Slurm job, grid of 6 < 200 ms" "$six ms per job (($m_gx6 - $m_bare6) / 6)" lt "$six" 200
n=$("$GIT_EXP" list --status completed | wc -l)
check "every run completed" "$n of $((7 * ROUNDS + 1))" test "$n" -eq $((7 * ROUNDS + 1))
print_summary "bench/slurm.sh: $ROUNDS alternations, medians"
