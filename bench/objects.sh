#!/usr/bin/env bash
# What one run writes into the object database at 10,000, 100,000 and 1,000,000 experiments (issue 19). The store is
# fabricated with bench/genstore (one pack); then RUNS (5) runs of `git exp run -q -- true` each add loose objects:
# the loose objects newer than a marker file give their number and their bytes (file sizes: zlib-compressed, as
# stored), and `git count-objects -v` the disk usage in KiB (whole blocks). The fan-out
# tree the new experiment lands in holds N/256 entries of 43 bytes (mode, 16-digit name, 20-byte id) and is written
# again by each commit of the run, so this grows with N (storage format 1; see "Format 2" in bench/README.md).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
SIZES=${SIZES:-10000 100000 1000000}
RUNS=${RUNS:-5}
build_git_exp
(cd "$SRC" && go build -o "$BIN/genstore" ./bench/genstore)

printf '%-10s %8s %12s %14s %16s %14s %12s\n' "N" "runs" "objects/run" "bytes/run" "KiB/run (disk)" "fan-out tree" "run ms"
for N in $SIZES; do
	REPO="$WORK/store-$N"
	new_repo "$REPO"
	cd "$REPO"
	echo "print('train')" >train.py
	git add -A && git commit -q -m init
	snap=$(git commit-tree 'HEAD^{tree}' -p HEAD -m "git-exp snapshot of main")
	log "N=$N: generating"
	"$BIN/genstore" -C "$REPO" -n "$N" -snapshot "$snap"
	"$GIT_EXP" list >/dev/null # the cache, so that the runs do not pay for it
	before=$(git count-objects -v)
	touch "$WORK/marker"
	sleep 1 # mtimes have a resolution of a second on some file systems
	T=()
	for i in $(seq 1 "$RUNS"); do
		timed T "$GIT_EXP" run -q -- true
	done
	after=$(git count-objects -v)
	field() { awk -v k="$1:" '$1 == k {print $2}' <<<"$2"; }
	dn=$(find .git/objects -type f \( -path '*/objects/??/*' -o -name '*.pack' \) -newer "$WORK/marker" | wc -l)
	dbytes=$(find .git/objects -type f \( -path '*/objects/??/*' -o -name '*.pack' \) -newer "$WORK/marker" -printf '%s\n' | awk '{s += $1} END {print s + 0}')
	dk=$(( $(field size "$after") - $(field size "$before") ))
	# The size of one fan-out tree (raw, as git cat-file -s gives it) of the last run's experiment.
	id=$("$GIT_EXP" list --json | python3 -c 'import json,sys; print(max(json.load(sys.stdin), key=lambda e: e["created"])["id"])')
	fan=$(git cat-file -s "refs/experiments/main:${id:0:2}")
	printf '%-10s %8s %12s %14s %16s %14s %12s\n' "$N" "$RUNS" "$(calc "$dn / $RUNS" 1)" "$(calc "$dbytes / $RUNS" 0)" \
		"$(calc "$dk / $RUNS" 1)" "$fan B" "$(median "${T[@]}")"
	row "N=$N: objects written per run" "$(calc "$dn / $RUNS" 1) objects, $(calc "$dbytes / $RUNS" 0) bytes ($(calc "$dk / $RUNS" 1) KiB on disk), fan-out tree $fan bytes" info
	cd "$WORK"
	chmod -R u+w "$REPO" && rm -rf "$REPO"
done
print_summary "bench/objects.sh: objects written by one run, $RUNS runs per size"
