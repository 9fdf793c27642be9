#!/usr/bin/env bash
# Snapshot of a 20,000-file repository vs `git status --porcelain -uall`, side by side (issue 3, Performance).
# Targets (issue 19): clean snapshot median <= 1.1x git status median; with 200 modified + 200 untracked files,
# <= 1.2x the git-native way of hashing the same content (copy the index, git add -A into it, git write-tree).
#
# The repository is generated here (same layout as gitstore/bench_snapshot_test.go); Store.Snapshot is timed by the
# Go benchmark BenchmarkSnapshot20k{,Dirty}, which alternates git status and the snapshot in every iteration.
#   ROUNDS=15 (default) alternations; STEPS=1 also prints the per-git-call breakdown (BenchmarkSnapshot20kSteps).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ROUNDS=${ROUNDS:-15}

log "building the gitstore benchmark binary"
(cd "$SRC" && go test -c -o "$BIN/gitstore.test" ./gitstore)

CLEAN="$WORK/repo-clean"
DIRTY="$WORK/repo-dirty"
log "generating $CLEAN: 20,000 files in 20 x 10 directories"
new_repo "$CLEAN"
(
	cd "$CLEAN"
	for a in $(seq -f '%02g' 0 19); do for b in $(seq -f '%02g' 0 9); do mkdir -p "a$a/b$b"; done; done
	# Same content as benchFileContent in the Go benchmark.
	awk 'BEGIN {
		for (a = 0; a < 20; a++) for (b = 0; b < 10; b++) for (f = 0; f < 100; f++) {
			rel = sprintf("a%02d/b%02d/f%03d.txt", a, b, f)
			printf "file %s\nline two of %s\nline three\n", rel, rel > rel
			close(rel)
		}
	}'
	git add -A
	git commit -q -m "20k files"
)
log "files tracked: $(git -C "$CLEAN" ls-files | wc -l)"
cp -a "$CLEAN" "$DIRTY"
(
	cd "$DIRTY"
	# 200 modified files spread over the tree, 200 untracked ones (same as benchDirty).
	awk 'BEGIN {
		for (i = 0; i < 200; i++) {
			n = i * 100; rel = sprintf("a%02d/b%02d/f%03d.txt", int(n / 1000), int((n % 1000) / 100), n % 100)
			printf "modified %d\n", i >> rel; close(rel)
		}
		for (i = 0; i < 200; i++) {
			rel = sprintf("a%02d/b%02d/u%03d.txt", i % 20, int(i / 20) % 10, i)
			printf "file %s\nline two of %s\nline three\n", rel, rel > rel; close(rel)
		}
	}'
)
log "dirty copy: $(git -C "$DIRTY" status --porcelain -uall | awk '{c[$1]++} END {for (k in c) printf "%s=%d ", k, c[k]}')"
# Past the racy-git window, and one refresh of each index, so every round sees the same stat data.
sleep 1.1
git -C "$CLEAN" status --porcelain -uall >/dev/null
git -C "$DIRTY" status --porcelain -uall >/dev/null

export GITEXP_BENCH_REPO="$CLEAN" GITEXP_BENCH_REPO_DIRTY="$DIRTY"
OUT="$WORK/bench.txt"
log "running BenchmarkSnapshot20k and BenchmarkSnapshot20kDirty, $ROUNDS alternations each"
(cd "$SRC/gitstore" && "$BIN/gitstore.test" -test.run '^$' -test.bench 'BenchmarkSnapshot20k(Dirty)?$' \
	-test.benchtime "${ROUNDS}x" -test.count 1) | tee "$OUT"
if [[ ${STEPS:-0} == 1 ]]; then
	(cd "$SRC/gitstore" && "$BIN/gitstore.test" -test.run '^$' -test.bench 'BenchmarkSnapshot20kSteps$' \
		-test.benchtime "${ROUNDS}x") | tee -a "$OUT"
fi

metric() { # metric BENCH UNIT
	awk -v b="$1" -v u="$2" '$1 ~ "^"b"(-[0-9]+)?$" { for (i = 2; i < NF; i++) if ($(i+1) == u) print $i }' "$OUT" | tail -1
}
for v in "" Dirty; do
	st=$(metric "BenchmarkSnapshot20k$v" status-ms)
	sn=$(metric "BenchmarkSnapshot20k$v" snapshot-ms)
	ratio=$(metric "BenchmarkSnapshot20k$v" ratio)
	nt=$(metric "BenchmarkSnapshot20k$v" native-ms)
	nratio=$(metric "BenchmarkSnapshot20k$v" native-ratio)
	name=clean
	[[ -n $v ]] && name="200 modified + 200 untracked"
	echo "snapshot, $name: git status median ${st} ms, git-native (add -A, write-tree) ${nt} ms," \
		"Store.Snapshot median ${sn} ms: ${ratio}x status, ${nratio}x native"
	if [[ -z $v ]]; then
		check "snapshot 20k clean <= 1.1x git status" "${sn} ms vs ${st} ms = ${ratio}x" le "$ratio" 1.1
	else
		check "snapshot 20k dirty (200M+200U) <= 1.2x git-native" "${sn} ms vs ${nt} ms = ${nratio}x" le "$nratio" 1.2
	fi
done
print_summary "bench/snapshot.sh: 20,000 files, $ROUNDS alternations, medians"
