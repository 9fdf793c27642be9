package cli

import (
	"strings"
	"testing"
)

// On a terminal, the default listing shows name, status, each result and the parameters that vary; the constant
// ones go to one line under the table, so they never take the room of a result.
func TestListTerminalColumns(t *testing.T) {
	testRepo(t)
	mustRun(t, append([]string{"run", "-q", "-n", "a", "-p", "lr=0.1", "-p", "seed=7", "-p", "model.name=a-rather-long-constant-value"}, writeResults(`{"acc": 0.912345678}`)...)...)
	mustRun(t, append([]string{"run", "-q", "-n", "b", "-p", "lr=0.2", "-p", "seed=7", "-p", "model.name=a-rather-long-constant-value"}, writeResults(`{"acc": 0.5}`)...)...)
	out, errs, code := runIO(t, true, 60, "list")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	head := strings.Fields(lines[0])
	// 60 columns: the least telling columns go first (tags, duration), nothing is cut.
	want := []string{"ID", "NAME", "STATUS", "acc", "lr", "CREATED"}
	if strings.Join(head, " ") != strings.Join(want, " ") {
		t.Errorf("header %q, want %q", head, want)
	}
	wide, _, _ := runIO(t, true, 120, "list")
	if got := strings.Fields(strings.SplitN(wide, "\n", 2)[0]); strings.Join(got, " ") != "ID NAME STATUS acc lr CREATED DURATION TAGS" {
		t.Errorf("header at 120 columns: %q", got)
	}
	if !strings.Contains(out, "0.912346") || strings.Contains(out, "…") {
		t.Errorf("the result is not shown whole with 6 significant digits in 60 columns:\n%s", out)
	}
	if strings.Contains(out, "seed") || strings.Contains(out, "model.name") {
		t.Errorf("constant parameters are columns:\n%s", out)
	}
	if !strings.Contains(errs, "same in every row: model.name=a-rather-long-constant-value seed=7") {
		t.Errorf("stderr %q does not name the constants", errs)
	}
	// On a pipe: the stable tab-separated format, every digit.
	out = mustRun(t, "list")
	if !strings.Contains(out, "acc=0.912345678") || !strings.Contains(out, "seed=7") {
		t.Errorf("pipe listing changed:\n%s", out)
	}
	// --columns and git config exp.list.columns choose the columns, on a terminal too.
	out, _, _ = runIO(t, true, 100, "list", "--columns", "name,seed")
	if !strings.HasPrefix(strings.TrimSpace(out), "NAME") || !strings.Contains(out, "7") {
		t.Errorf("--columns name,seed:\n%s", out)
	}
	if err := gitConfig("exp.list.columns", "name,results.acc"); err != nil {
		t.Fatal(err)
	}
	out = mustRun(t, "list")
	if out != "b\t0.5\na\t0.912345678\n" {
		t.Errorf("exp.list.columns on a pipe: %q", out)
	}
}

// The members of a sweep list in the order of their grid.
func TestListGridOrder(t *testing.T) {
	testRepo(t)
	mustRun(t, append([]string{"run", "-q", "-n", "g", "-p", "i=range(6)"}, writeResults(`{"x": 1}`)...)...)
	out := mustRun(t, "list", "--columns", "name")
	want := "g[i=0]\ng[i=1]\ng[i=2]\ng[i=3]\ng[i=4]\ng[i=5]\n"
	if out != want {
		t.Errorf("sweep order:\n%s\nwant:\n%s", out, want)
	}
}

func TestJoinSortValues(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"list --sort -results.acc", "list --sort=-results.acc"},
		{"list --sort a,-b -n 3", "list --sort=a,-b -n 3"},
		{"list --sort=-a", "list --sort=-a"},
		{"list --sort --json", "list --sort --json"},
		{"compare --sort -x -- --sort -y", "compare --sort=-x -- --sort -y"},
		{"__complete -- list --sort -re", "__complete -- list --sort -re"},
	} {
		if got := strings.Join(joinSortValues(strings.Fields(c.in)), " "); got != c.want {
			t.Errorf("%q: %q, want %q", c.in, got, c.want)
		}
	}
}

// blankTabs turns exactly the tabs and newlines into spaces: every byte value at every position of cells of
// every length up to 20.
func TestBlankTabs(t *testing.T) {
	for n := 0; n <= 20; n++ {
		for k := 0; k < n; k++ {
			for c := 0; c < 256; c++ {
				cell := []byte(strings.Repeat("a\x0b\x7f\xff", 5)[:n])
				cell[k] = byte(c)
				want := []byte(tsvCell.Replace(string(cell)))
				if blankTabs(cell); string(cell) != string(want) {
					t.Fatalf("%q: got %q", want, cell)
				}
			}
		}
	}
}
