#!/usr/bin/env bash
# `git exp list --where … --sort …` on a large warm store, against another revision's build (issue 19: where+sort
# over 1,000,000 experiments < 1.5 s, warm listings < 1 GiB resident). Checks first that both builds print the same
# bytes (stdout, and stderr with the exit code) for where+sort, --where alone, --sort alone (by numbers and by
# strings), limited and unknown-key listings in every format; then times them alternating, with peak memory
# (/usr/bin/time).
#   STORE=DIR (required: a bench/genstore store with its cache built, e.g. /tmp/warm19/s1m; left as it is)
#   BASE_REV=<rev> (default main; same cache version as the working tree, else each build rebuilds the other's cache)
#   ROUNDS=3   CHECK=1 (0: skip the byte comparison, which writes every output to $TMPDIR)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
: "${STORE:?set STORE to a genstore store (e.g. /tmp/warm19/s1m)}"
BASE_REV=${BASE_REV:-main}
ROUNDS=${ROUNDS:-3}
build_git_exp
build_base
cd "$STORE"
W='lr > 0.001 and results.accuracy >= 0.5'
S='-results.accuracy,lr'
CASES=(
	"--where|$W|--sort=$S"
	"--where|$W|--sort=$S|--json"
	"--where|$W|--sort=$S|--format|csv"
	"--where|$W|--sort=$S|--format|md"
	"--where|$W|--sort=$S|-n|7"
	"--where|$W"
	"--where|$W|--json"
	"--where|$W|--format|csv"
	"--where|$W|-n|5|--json"
	"--sort=$S"
	"--sort=$S|-n|20"
	"--where|accurcy > 0.5|--sort=-results.acc"
	"--where|lr > 0.001|--status|completed|--sort=lr"
	"--sort=name|-n|20"
	"--where|$W|--sort=model.name,-lr|--json"
)
if [[ ${CHECK:-1} == 1 ]]; then
	for c in "${CASES[@]}"; do
		IFS='|' read -r -a args <<<"$c"
		for b in base new; do
			bin=$GIT_EXP
			[[ $b == base ]] && bin=$BASE
			set +e
			"$bin" list "${args[@]}" >"$WORK/$b.out" 2>"$WORK/$b.err"
			echo "exit $?" >>"$WORK/$b.err"
			set -e
		done
		if cmp -s "$WORK/base.out" "$WORK/new.out" && cmp -s "$WORK/base.err" "$WORK/new.err"; then
			log "same: list ${args[*]} ($(wc -c <"$WORK/new.out") bytes)"
		else
			log "DIFFERENT: list ${args[*]}"
			row "same output as $BASE_REV: list ${args[*]}" "differs" "NO"
		fi
	done
fi

# one LABEL BIN ARGS...: wall ms, peak KiB of one listing, appended to the arrays T_LABEL and M_LABEL.
one() {
	local label=$1 bin=$2
	shift 2
	/usr/bin/time -f '%e %M %U %S' -o "$WORK/t.txt" "$bin" list "$@" >/dev/null 2>&1
	read -r wall kib user sys <"$WORK/t.txt"
	echo "$label: ${wall} s, ${user} user + ${sys} sys, ${kib} KiB" >&2
	local -n _t="T_$label" _m="M_$label"
	_t+=("$(calc "$wall * 1000" 0)")
	_m+=("$kib")
}
for label in ws_new ws_base w_new w_base s_new s_base sn_new sn_base; do
	declare -a "T_$label=()" "M_$label=()"
done
for _ in $(seq 1 "$ROUNDS"); do
	one ws_new "$GIT_EXP" --where "$W" --sort="$S"
	one ws_base "$BASE" --where "$W" --sort="$S"
done
for _ in $(seq 1 "$ROUNDS"); do
	one w_new "$GIT_EXP" --where "$W"
	one w_base "$BASE" --where "$W"
	one s_new "$GIT_EXP" --sort="$S"
	one s_base "$BASE" --sort="$S"
	one sn_new "$GIT_EXP" --sort="$S" -n 20
	one sn_base "$BASE" --sort="$S" -n 20
done
peak() { local -n _m="M_$1"; printf '%s\n' "${_m[@]}" | sort -g | tail -1 | awk '{printf "%.0f", $1 / 1024}'; }
for what in ws w s sn; do
	local_t="T_${what}_new[@]"
	base_t="T_${what}_base[@]"
	name=$(case $what in ws) echo "where+sort" ;; w) echo "--where alone" ;; s) echo "--sort alone" ;; sn) echo "--sort -n 20" ;; esac)
	row "$name (ms, median of $ROUNDS; $BASE_REV in the same rounds)" \
		"$(median "${!local_t}") ($(median "${!base_t}")); peak $(peak "${what}_new") MiB ($(peak "${what}_base") MiB)" info
done
med=$(median "${T_ws_new[@]}")
check "where+sort of the store < 1.5 s (median)" "$med ms" lt "$med" 1500
pk=$(peak ws_new)
check "where+sort < 1 GiB resident" "$pk MiB" lt "$pk" 1024
print_summary "list --where/--sort on $STORE"
