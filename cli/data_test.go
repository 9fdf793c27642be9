package cli

import (
	"math"
	"strings"
	"testing"
)

// metrics: a header line on a pipe too; --json leaves time out where none was logged; a terminal shows 6
// significant digits, a pipe every digit.
func TestMetricsOutput(t *testing.T) {
	testRepo(t)
	mustRun(t, "run", "-q", "-n", "m", "--", "sh", "-c",
		`printf '%s\n' '{"step": 0, "loss": 0.123456789}' '{"step": 1, "time": "2026-01-02T03:04:05Z", "loss": 0.5}' > "$GIT_EXP_METRICS"`)
	out := mustRun(t, "metrics", "m")
	if out != "step\tloss\n0\t0.123456789\n1\t0.5\n" {
		t.Errorf("metrics on a pipe: %q", out)
	}
	out, _, _ = runIO(t, true, 100, "metrics", "m")
	if !strings.Contains(out, "0.123457") || strings.Contains(out, "0.123456789") {
		t.Errorf("metrics on a terminal:\n%s", out)
	}
	out = mustRun(t, "metrics", "m", "--json")
	first, second, _ := strings.Cut(out, "},")
	if strings.Contains(first, `"time"`) || !strings.Contains(second, `"time": "2026-01-02T03:04:05Z"`) {
		t.Errorf("metrics --json:\n%s", out)
	}
}

func TestBatchCommandAndSizes(t *testing.T) {
	if got := commandLine([]string{"/usr/bin/git-exp", "run", "-p", "lr=list(0.1,0.2)", "-n", "it's", "train.py"}); got != `git exp run -p 'lr=list(0.1,0.2)' -n 'it'\''s' train.py` {
		t.Errorf("commandLine: %s", got)
	}
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1536: "1.5 KiB", 20 << 20: "20 MiB", 3 << 30: "3.0 GiB"} {
		if got := humanBytes(n); got != want {
			t.Errorf("humanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

// artifacts on a terminal: sizes in human units; on a pipe, bytes. show: params (none), a tag given for an id.
func TestArtifactsShowHints(t *testing.T) {
	testRepo(t)
	mustRun(t, "run", "-q", "-n", "art", "-t", "best", "--", "sh", "-c", `head -c 2048 /dev/zero > "$GIT_EXP_OUT/model.bin"`)
	if out := mustRun(t, "artifacts", "art"); out != "model.bin\t2048\n" {
		t.Errorf("artifacts on a pipe: %q", out)
	}
	if out, _, _ := runIO(t, true, 100, "artifacts", "art"); !strings.Contains(out, "2.0 KiB") {
		t.Errorf("artifacts on a terminal:\n%s", out)
	}
	if out := mustRun(t, "show", "art"); !strings.Contains(out, "params:     (none)\n") {
		t.Errorf("show without params:\n%s", out)
	}
	_, errs, code := runIO(t, false, 100, "show", "best")
	if code != 2 || !strings.Contains(errs, `no experiment has the id or name "best", but 1 has it as a tag`) || !strings.Contains(errs, "git exp list --tag best") {
		t.Errorf("show TAG: exit %d, %s", code, errs)
	}
}

// Deltas: 6 significant digits on a terminal; on a pipe the exact decimal difference, every digit of it.
func TestDelta(t *testing.T) {
	for _, c := range []struct {
		a, b  any
		human bool
		want  string
	}{
		{0.9, 0.95, false, "+0.05"},
		{0.5, 0.25, false, "-0.25"},
		{0.123456789, 0.2, false, "+0.076543211"},
		{0.123456789, 0.2, true, "+0.0765432"},
		{int64(3), int64(5), false, "+2"},
		{1e-05, 2e-05, false, "+1e-05"},
		{0.5, 0.5, false, "same"},
		{"a", "b", false, ""},
	} {
		if got := delta(c.a, c.b, c.human); got != c.want {
			t.Errorf("delta(%v, %v, human=%v) = %q, want %q", c.a, c.b, c.human, got, c.want)
		}
	}
}

func TestDeltaNonFinite(t *testing.T) {
	inf := math.Inf(1)
	for _, c := range []struct {
		a, b any
		want string
	}{{math.NaN(), inf, ""}, {0.5, inf, "+Infinity"}, {inf, 0.5, "-Infinity"}, {inf, inf, "same"}} {
		if got := delta(c.a, c.b, false); got != c.want {
			t.Errorf("delta(%v, %v) = %q, want %q", c.a, c.b, got, c.want)
		}
	}
}
