package cli

import (
	"math"
	"strings"
	"testing"
	"time"
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
			total += cellWidth(c) + 2
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

// TestTable checks the terminal table byte for byte: cells trimmed and padded to their column by display width
// (wide characters two columns, combining and zero-width ones none), one space either side, the status coloured
// without moving the columns, control characters escaped. The expected lines are what tablewriter v1.1.5 printed
// for the same rows before git-exp wrote its own.
func TestTable(t *testing.T) {
	for _, c := range []struct {
		header []string
		rows   [][]string
		color  bool
		want   string
	}{
		{[]string{"ID", "STATUS", "NAME"}, [][]string{{"abc1234", "completed", "x"}, {"def", "failed", "日本語テキスト"}, {"g", "running", ""}}, false,
			" ID       STATUS     NAME           \n abc1234  completed  x              \n def      failed     日本語テキスト \n g        running                   \n"},
		{[]string{"ID", "STATUS", "P"}, [][]string{{"1", "completed", "lr=0.1"}, {"2", "failed", "lr=0.2"}, {"3", "killed", "z"}}, true,
			" ID  STATUS     P      \n 1   \x1b[32mcompleted\x1b[0m  lr=0.1 \n 2   \x1b[31mfailed\x1b[0m     lr=0.2 \n 3   killed     z      \n"},
		{[]string{"A", "B"}, nil, false, " A  B \n"},
		{[]string{"A", "B"}, [][]string{{"", ""}}, false, " A  B \n      \n"},
		{[]string{"PATH", "SIZE"}, [][]string{{"out/ümlaut.txt", "12 B"}, {"emoji 🎉 x", "3 KiB"}}, false,
			" PATH            SIZE  \n out/ümlaut.txt  12 B  \n emoji 🎉 x      3 KiB \n"},
		{[]string{"X"}, [][]string{{"a\tb"}, {"c\nd"}, {"  lead"}, {"trail  "}}, false,
			" X      \n a b    \n c\\x0ad \n lead   \n trail  \n"},
		{[]string{"ctl"}, [][]string{{"a\x1b[31mred"}, {"\u200bzw"}, {"combining e\u0301"}}, true,
			" ctl          \n a\\x1b[31mred \n \u200bzw           \n combining e\u0301  \n"},
		{[]string{"A", "B", "C"}, [][]string{{"1", "2", "3"}, {strings.Repeat("4", 71), "5", strings.Repeat("6", 52)}}, false,
			" A                                     B  C                                    \n" +
				" 1                                     2  3                                    \n" +
				" " + strings.Repeat("4", 35) + "…  5  " + strings.Repeat("6", 35) + "… \n"},
	} {
		var out strings.Builder
		if err := table(&IO{Out: &out, OutTTY: true, Color: c.color, Width: 80}, c.header, c.rows); err != nil {
			t.Fatal(err)
		}
		if out.String() != c.want {
			t.Errorf("table(%q, %q):\n got %q\nwant %q", c.header, c.rows, out.String(), c.want)
		}
	}
}

// A relative time reads as English: 1 hour, 2 hours.
func TestRelTimeHours(t *testing.T) {
	for _, c := range []struct {
		ago  time.Duration
		want string
	}{{90 * time.Minute, "1 hour ago"}, {150 * time.Minute, "2 hours ago"}, {30 * time.Second, "30 sec ago"}, {72 * time.Hour, "3 days ago"}} {
		if got := relTime(time.Now().Add(-c.ago).UTC().Format(time.RFC3339Nano)); got != c.want {
			t.Errorf("%v ago: %q, want %q", c.ago, got, c.want)
		}
	}
}
