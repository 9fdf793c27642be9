package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/git-exp/git-exp/gitstore"
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

// blankTabs turns exactly the tabs and newlines into spaces, but for the separators it is given: every byte value
// at every position of lines of every length up to 20, with separators or not; long lines full of tabs.
func TestBlankTabs(t *testing.T) {
	for _, n := range []int{247, 248, 249, 2040, 2047, 5000} {
		all := bytes.Repeat([]byte{'\t'}, n)
		var seps []int
		for s := range n {
			seps = append(seps, s)
		}
		line := slices.Clone(all)
		if blankTabs(line, seps); !bytes.Equal(line, all) {
			t.Errorf("%d tabs, all separators: changed", n)
		}
		if blankTabs(line, seps[1:]); line[0] != ' ' || !bytes.Equal(line[1:], all[1:]) {
			t.Errorf("%d tabs, all but the first separators: %q...", n, line[:8])
		}
	}
	for n := 0; n <= 20; n++ {
		for k := 0; k < n; k++ {
			for c := 0; c < 256; c++ {
				line := []byte(strings.Repeat("a\x0b\x7f\xff", 5)[:n])
				line[k] = byte(c)
				want := []byte(tsvCell.Replace(string(line)))
				orig := slices.Clone(line)
				if blankTabs(line, nil); string(line) != string(want) {
					t.Fatalf("%q: got %q", want, line)
				}
				line = orig
				var seps []int
				for s := 3; s < n; s += 7 {
					if s != k {
						line[s], want[s] = '\t', '\t'
						seps = append(seps, s)
					}
				}
				if blankTabs(line, seps); string(line) != string(want) {
					t.Fatalf("separators at %v: %q: got %q", seps, want, line)
				}
			}
		}
	}
}

// appendSeconds writes what strconv.AppendFloat(b, d, 'f', 3, 64) writes: halves of a thousandth and their
// neighbours, special values, and random durations of every magnitude.
func TestAppendSeconds(t *testing.T) {
	ds := []float64{0, math.Copysign(0, -1), -1.5, 1e-9, 0.0005, 0.0015, 0.0025, 1.0005, 2.5, 999999999.9995, 1e9, 1e9 - 0.0005,
		1e300, math.NaN(), math.Inf(1), math.Inf(-1), math.SmallestNonzeroFloat64, 32.977, 48.796}
	r := rand.New(rand.NewPCG(19, 2))
	for range 200000 {
		ds = append(ds, r.Float64()*math.Pow(10, float64(r.IntN(12)-3)))
		n := float64(r.IntN(1 << 30))
		for _, x := range []float64{(n + 0.5) / 1000, math.Nextafter((n+0.5)/1000, 0), math.Nextafter((n+0.5)/1000, 2e9), n / 1000} {
			ds = append(ds, x)
		}
	}
	for _, d := range ds {
		if got, want := string(appendSeconds([]byte("x"), d)), "x"+strconv.FormatFloat(d, 'f', 3, 64); got != want {
			t.Fatalf("%v (%b): %q, want %q", d, d, got, want)
		}
	}
}

// writeChunks writes every item once, in order, however many rounds of chunks it takes, whatever the sizes of
// the source's rounds and of the items; an error of render or of the writer stops it and is returned.
func TestWriteChunks(t *testing.T) {
	exps := make([]*gitstore.Experiment, 20000)
	for i := range exps {
		exps[i] = &gitstore.Experiment{}
		exps[i].Seq = i
	}
	render := func(buf []byte, exps []*gitstore.Experiment, first int) ([]byte, error) {
		for i, e := range exps {
			if e.Seq != first+i {
				return buf, fmt.Errorf("item %d given as %d", e.Seq, first+i)
			}
			buf = append(strconv.AppendInt(buf, int64(e.Seq), 10), strings.Repeat("x", e.Seq%300)...)
			buf = append(buf, '\n')
		}
		return buf, nil
	}
	// rounds of the sizes given, in turn
	rounds := func(n int, sizes ...int) source {
		return func(fn func([]*gitstore.Experiment) error) (int, error) {
			for lo, k := 0, 0; lo < n; k++ {
				hi := min(n, lo+sizes[k%len(sizes)])
				if err := fn(exps[lo:hi]); err != nil {
					return n, err
				}
				lo = hi
			}
			return n, nil
		}
	}
	for _, n := range []int{0, 1, 511, 512, 513, 1024, 5000, 20000} {
		for _, sizes := range [][]int{{4096}, {1}, {700, 3, 1024, 1025}} {
			var want []byte
			want, _ = render(want, exps[:n], 0)
			var got strings.Builder
			if k, total, err := writeChunks(&got, rounds(n, sizes...), render); err != nil || k != n || total != n || got.String() != string(want) {
				t.Fatalf("n=%d, rounds of %v: %v, %d items of %d, %d bytes, want %d", n, sizes, err, k, total, got.Len(), len(want))
			}
		}
	}
	failing := func(buf []byte, exps []*gitstore.Experiment, first int) ([]byte, error) {
		if first <= 7000 && 7000 < first+len(exps) {
			return buf, errBoom
		}
		return render(buf, exps, first)
	}
	if _, _, err := writeChunks(io.Discard, rounds(20000, 3000), failing); err != errBoom {
		t.Errorf("render's error: %v", err)
	}
	if _, _, err := writeChunks(&failWriter{after: 3}, rounds(20000, 3000), render); err != errBoom {
		t.Errorf("the writer's error: %v", err)
	}
}

var errBoom = errors.New("boom")

type failWriter struct{ after int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.after--; w.after < 0 {
		return 0, errBoom
	}
	return len(p), nil
}

// limited hands on the first rows of its source, whatever the rounds; counting, it counts every other row (what
// a terminal says it left out); not counting, it stops the source once it has them.
func TestLimited(t *testing.T) {
	exps := make([]*gitstore.Experiment, 10)
	for i := range exps {
		exps[i] = &gitstore.Experiment{}
		exps[i].Seq = i
	}
	for _, size := range []int{1, 3, 4, 10} {
		for _, limit := range []int{1, 4, 10, 20} {
			for _, count := range []bool{true, false} {
				rounds := 0
				src := source(func(fn func([]*gitstore.Experiment) error) (int, error) {
					for lo := 0; lo < len(exps); lo += size {
						rounds++
						if err := fn(exps[lo:min(lo+size, len(exps))]); err != nil {
							return len(exps), err
						}
					}
					return len(exps), nil
				})
				more := 0
				got, total, err := collect(limited(src, limit, &more, count))
				if err != nil || total != 10 || len(got) != min(limit, 10) {
					t.Fatalf("rounds of %d, limit %d: %d rows of %d, %v", size, limit, len(got), total, err)
				}
				for i, e := range got {
					if e.Seq != i {
						t.Fatalf("rounds of %d, limit %d: row %d is %d", size, limit, i, e.Seq)
					}
				}
				if count && more != 10-len(got) {
					t.Errorf("rounds of %d, limit %d: %d more, want %d", size, limit, more, 10-len(got))
				}
				if !count && limit < 10 && rounds > (limit+size-1)/size {
					t.Errorf("rounds of %d, limit %d: %d rounds read, the source was not stopped", size, limit, rounds)
				}
			}
		}
	}
}
