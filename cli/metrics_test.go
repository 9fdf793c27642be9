package cli

import (
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
