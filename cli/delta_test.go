package cli

import (
	"math"
	"testing"
)

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
