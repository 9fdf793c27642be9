# Shared helpers for the bench/*.sh scripts. Sourced, not run.
#
# Gives every script: a sealed environment (HOME in a temp dir, no system or global git config), one build of
# git-exp into that temp dir, a fork-free millisecond clock, medians, and the final `target | measured | ok?` table.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MODULE_DIR=$(cd "$BENCH_DIR/.." && pwd)

# --- sealed environment -------------------------------------------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/git-exp-bench.XXXXXX")
cleanup() {
	local rc=$?
	# Files written by git are read-only (objects): make them removable first.
	chmod -R u+w "$WORK" 2>/dev/null || true
	rm -rf "$WORK"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The caller's Go caches stay usable (HOME is replaced below).
export GOCACHE="${GOCACHE:-$(go env GOCACHE)}"
export GOMODCACHE="${GOMODCACHE:-$(go env GOMODCACHE)}"
export GOPATH="${GOPATH:-$(go env GOPATH)}"
export HOME="$WORK/home"
mkdir -p "$HOME"
export GIT_CONFIG_NOSYSTEM=1
export GIT_CONFIG_GLOBAL=/dev/null
export GIT_TERMINAL_PROMPT=0
export NO_COLOR=1
export LC_ALL=C
unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE GIT_EXP_TRACE || true
for v in $(env | sed -n 's/^\(GIT_EXP_PARAM_[^=]*\)=.*/\1/p'); do unset "$v"; done

# --- build git-exp once ------------------------------------------------------------------------------------------
# SRC is the source tree built and benchmarked: the working tree by default; GITEXP_REV=<rev> exports that revision
# (git archive, read-only for the repository) so that measurements do not depend on edits in progress.
BIN="$WORK/bin"
mkdir -p "$BIN"
SRC="$MODULE_DIR"
if [[ -n ${GITEXP_REV:-} ]]; then
	SRC="$WORK/src"
	mkdir -p "$SRC"
	git -C "$MODULE_DIR" archive --format=tar "$GITEXP_REV" | tar -x -C "$SRC"
	# The benchmark sources come from the working tree (they may not be committed yet).
	mkdir -p "$SRC/bench" "$SRC/gitstore"
	cp -r "$MODULE_DIR/bench/." "$SRC/bench/"
	cp "$MODULE_DIR"/gitstore/bench_*_test.go "$SRC/gitstore/" 2>/dev/null || true
	echo "# building from $GITEXP_REV ($(git -C "$MODULE_DIR" rev-parse --short "$GITEXP_REV"))" >&2
else
	echo "# building from the working tree $MODULE_DIR" >&2
fi
build_git_exp() {
	(cd "$SRC" && CGO_ENABLED=0 go build -o "$BIN/git-exp" ./cmd/git-exp) # as README installs it
	export PATH="$BIN:$PATH" # so that `git exp` finds this build
	GIT_EXP="$BIN/git-exp"
}

# build_base: when BASE_REV is set, build that revision (git archive) to $WORK/git-exp-base and set BASE to it, for a
# script that times it in the same alternation as the working tree's build; BASE is empty otherwise.
build_base() {
	BASE=""
	if [[ -n ${BASE_REV:-} ]]; then
		mkdir -p "$WORK/base-src"
		git -C "$MODULE_DIR" archive --format=tar "$BASE_REV" | tar -x -C "$WORK/base-src"
		(cd "$WORK/base-src" && CGO_ENABLED=0 go build -o "$WORK/git-exp-base" ./cmd/git-exp)
		BASE="$WORK/git-exp-base"
	fi
}

# new_repo DIR: an empty repository with its own identity.
new_repo() {
	git init -q -b main "$1"
	git -C "$1" config user.name "Bench User"
	git -C "$1" config user.email "bench@example.com"
	git -C "$1" config gc.auto 0 # no background gc in the middle of a measurement
}

# --- clock ---------------------------------------------------------------------------------------------------------
# now_us: microseconds, read from bash's EPOCHREALTIME (no fork, so nothing is added to what is timed).
now_us() { local t=${EPOCHREALTIME/[.,]/}; echo "$t"; }

# timed VAR CMD...: runs CMD and appends its wall time in ms (3 decimals) to the array VAR. Output is the caller's.
timed() {
	local -n _acc=$1
	shift
	local t0=${EPOCHREALTIME/[.,]/}
	"$@"
	local t1=${EPOCHREALTIME/[.,]/}
	_acc+=("$(( (t1 - t0) / 1000 )).$(printf '%03d' $(( (t1 - t0) % 1000 )))")
}

# median VALUES...
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {if (NR==0) {print "nan"; exit} if (NR%2) printf "%.1f\n", a[(NR+1)/2]; else printf "%.1f\n", (a[NR/2]+a[NR/2+1])/2}'; }
# minmax VALUES...: "min..max"
minmax() { printf '%s\n' "$@" | sort -g | awk 'NR==1{lo=$1} {hi=$1} END {printf "%.1f..%.1f\n", lo, hi}'; }
# calc EXPR: floating point arithmetic.
calc() { awk "BEGIN { printf \"%.${2:-2}f\n\", $1 }"; }
# le A B: exit 0 when A <= B (floats).
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'; }

# --- summary -------------------------------------------------------------------------------------------------------
SUMMARY=()
# row TARGET MEASURED OK: one row of the final table (OK: yes / NO / info).
row() { SUMMARY+=("$1|$2|$3"); }
check() { # check TARGET MEASURED-TEXT CONDITION-CMD...
	local target=$1 measured=$2
	shift 2
	if "$@"; then row "$target" "$measured" "yes"; else row "$target" "$measured" "NO"; fi
}
print_summary() {
	echo
	echo "== $1 ($(uptime | sed 's/.*load average/load average/'), $(nproc) CPUs)"
	{
		echo "target|measured|ok?"
		echo "---|---|---"
		printf '%s\n' "${SUMMARY[@]}"
	} | awk -F'|' '
		{ for (i = 1; i <= 3; i++) { c[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } }
		END { for (r = 1; r <= NR; r++) {
			line = ""
			for (i = 1; i <= 3; i++) {
				cell = c[r, i]
				if (c[r, 1] == "---") { cell = ""; while (length(cell) < w[i]) cell = cell "-" }
				line = line sprintf("%s%-*s", (i > 1 ? " | " : ""), w[i], cell)
			}
			print line
		} }'
}

log() { echo "# $*" >&2; }
