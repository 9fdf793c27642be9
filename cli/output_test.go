package cli

import (
	"math"
	"strings"
	"testing"

	"github.com/olekukonko/tablewriter/pkg/twwidth"
)

func TestFitTable(t *testing.T) {
	header := []string{"ID", "STATUS", "NAME", "PARAMS"}
	rows := [][]string{
		{"abc1234", "completed", strings.Repeat("n", 60), strings.Repeat("p", 80)},
		{"def5678", "failed", "short", "lr=0.1\nbs=2"},
	}
	fitTable(60, header, rows)
	for _, r := range rows {
		total := 0
		for _, c := range r {
			total += twwidth.Width(c) + 2
			if strings.ContainsAny(c, "\n\t") {
				t.Errorf("cell %q spans lines", c)
			}
		}
		if total > 60 {
			t.Errorf("row %q is %d wide, want at most 60", r, total)
		}
	}
	if rows[0][0] != "abc1234" || rows[0][1] != "completed" {
		t.Errorf("short columns were cut: %q", rows[0][:2])
	}
	if !strings.HasSuffix(rows[0][2], "…") || !strings.HasSuffix(rows[0][3], "…") {
		t.Errorf("wide columns not cut with …: %q", rows[0][2:])
	}
	if rows[1][3] != "lr=0.1 bs=2" {
		t.Errorf("newline kept: %q", rows[1][3])
	}

	wide := [][]string{{"a", "b"}}
	fitTable(100, []string{"X", "Y"}, wide)
	if wide[0][0] != "a" || wide[0][1] != "b" {
		t.Errorf("a table that fits was changed: %q", wide)
	}
}

func TestTableValue(t *testing.T) {
	for _, c := range []struct {
		v     any
		human bool
		want  string
	}{
		{0.05900000000000005, true, "0.059"},
		{0.05900000000000005, false, "0.05900000000000005"},
		{3, true, "3"},
		{1.0, false, "1.0"},
		{"x", true, "x"},
		{1234567.891, true, "1.23457e+06"},
		{math.NaN(), true, "NaN"},
		{math.Inf(1), false, "Infinity"},
		{math.Inf(-1), true, "-Infinity"},
		{[]any{1.0, math.NaN()}, false, "[1.0,NaN]"},
		{1e-7, false, "1e-07"},
	} {
		if got := tableValue(c.v, c.human); got != c.want {
			t.Errorf("tableValue(%v, %v) = %q, want %q", c.v, c.human, got, c.want)
		}
	}
}
