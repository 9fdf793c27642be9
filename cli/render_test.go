package cli

import (
	"encoding/json"
	"math"
	"os/exec"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/git-exp/git-exp/value"
)

// show and compare on a terminal (aligned, short ids, relative times, colour only when asked) and on a pipe (stable,
// full ids, tab-separated, no escape sequences), in process with injected IO.
func TestShowCompareRendering(t *testing.T) {
	testRepo(t)
	mustRun(t, append([]string{"run", "-q", "-n", "a", "-p", "lr=0.1", "-p", "seed=1"}, writeResults(`{"acc": 0.9, "loss": NaN}`)...)...)
	mustRun(t, append([]string{"run", "-q", "-n", "b", "-p", "lr=0.2", "-p", "seed=1"}, writeResults(`{"acc": 0.8}`)...)...)
	// show --json keeps the NaN a script wrote, as the bare token Python's json reads.
	av, err := value.Unmarshal([]byte(mustRun(t, "show", "a", "--json")))
	if err != nil {
		t.Fatal(err)
	}
	a := av.(map[string]any)
	if loss := a["results"].(map[string]any)["loss"].(float64); !math.IsNaN(loss) {
		t.Errorf("results.loss = %v, want NaN", loss)
	}
	var b map[string]any
	if err := json.Unmarshal([]byte(mustRun(t, "show", "b", "--json")), &b); err != nil {
		t.Fatal(err)
	}
	idA, idB := a["id"].(string), b["id"].(string)

	// compare on a pipe: tab-separated, full ids, only the parameters that differ, NaN as NaN and a missing result as -.
	got := mustRun(t, "compare", "a", "b")
	want := "ID\tNAME\tSTATUS\tlr\tresults.acc\tresults.loss\n" +
		idA + "\ta\tcompleted\t0.1\t0.9\tNaN\n" +
		idB + "\tb\tcompleted\t0.2\t0.8\t-\n"
	if got != want {
		t.Errorf("compare on a pipe:\n%q\nwant\n%q", got, want)
	}
	// compare on a terminal: aligned columns, short ids, no tabs; colour only with IO.Color.
	out, _, code := runIO(t, true, 100, "compare", "a", "b")
	if code != 0 || strings.Contains(out, "\t") || !strings.Contains(out, " "+idA[:7]+" ") || strings.Contains(out, idA) {
		t.Errorf("compare on a terminal (exit %d):\n%s", code, out)
	}
	if strings.Contains(out, "\x1b[") {
		t.Errorf("colour without IO.Color:\n%q", out)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 3 || strings.Index(lines[1], "0.1") != strings.Index(lines[2], "0.2") {
		t.Errorf("compare columns are not aligned:\n%s", out)
	}

	// show: the same fields on both, a relative time on a terminal only.
	tty, _, _ := runIO(t, true, 100, "show", "a")
	pipe := mustRun(t, "show", "a")
	for _, s := range []string{"experiment " + idA, "status:", "completed (exit 0)", "params:", "lr: 0.1", "results:", "loss: NaN"} {
		if !strings.Contains(tty, s) || !strings.Contains(pipe, s) {
			t.Errorf("show does not say %q:\nterminal:\n%s\npipe:\n%s", s, tty, pipe)
		}
	}
	if !strings.Contains(tty, " ago)") {
		t.Errorf("show on a terminal has no relative time:\n%s", tty)
	}
	if strings.Contains(pipe, "\x1b[") || strings.Contains(tty, "\x1b[") {
		t.Error("escape sequences without IO.Color")
	}
	// With colour asked for (a terminal without NO_COLOR), the status is coloured.
	var sb, eb strings.Builder
	io := &IO{Out: &sb, Err: &eb, OutTTY: true, ErrTTY: true, Width: 100, Color: true}
	if code := MainContext(t.Context(), []string{"show", "a"}, io); code != 0 || !strings.Contains(sb.String(), "\x1b[") {
		t.Errorf("show with colour (exit %d):\n%q", code, sb.String())
	}
}

// The --json field names are a contract (scripts and the Python client read them): list and show give the same
// fields, and a field is never renamed or dropped silently. A new field is added here on purpose.
func TestJSONFieldStability(t *testing.T) {
	testRepo(t)
	mustRun(t, append([]string{"run", "-q", "-n", "a", "-p", "lr=0.1"}, writeResults(`{"acc": 0.9}`)...)...)
	keys := func(m map[string]any) []string {
		var k []string
		for key := range m {
			k = append(k, key)
		}
		sort.Strings(k)
		return k
	}
	var show map[string]any
	if err := json.Unmarshal([]byte(mustRun(t, "show", "a", "--json")), &show); err != nil {
		t.Fatal(err)
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(mustRun(t, "list", "--json")), &list); err != nil || len(list) != 1 {
		t.Fatalf("list --json: %v %v", list, err)
	}
	want := []string{"archived", "argv", "attempt", "batch", "created", "cwd", "description", "duration_s", "email", "ended",
		"error", "executor", "exit_code", "format", "git", "host", "id", "name", "param_sources", "params", "parent",
		"results", "script", "short_id", "started", "status", "tags", "updated", "user"}
	if got := keys(show); !reflect.DeepEqual(got, want) {
		t.Errorf("show --json fields changed:\n got %q\nwant %q", got, want)
	}
	if got := keys(list[0]); !reflect.DeepEqual(got, want) {
		t.Errorf("list --json fields differ from show --json:\n got %q\nwant %q", got, want)
	}
	git, _ := show["git"].(map[string]any)
	for _, k := range []string{"branch", "head", "dirty", "remote", "skipped", "snapshot"} {
		if _, ok := git[k]; !ok {
			t.Errorf("show --json git has no %q: %v", k, git)
		}
	}
}

// Exit statuses: 0 for success, 2 for a mistake in the command line or an unknown experiment, the script's own
// status for a failed run, 1 for other errors; one line on stderr and nothing on stdout for each mistake.
func TestExitCodes(t *testing.T) {
	testRepo(t)
	mustRun(t, "run", "-q", "-n", "ok", "--", "true")
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"show", "ok"}, 0},
		{[]string{"show", "nope"}, 2},
		{[]string{"show", "ok", "--bogus"}, 2},
		{[]string{"list", "--limit=-5"}, 2},
		{[]string{"nosuchcommand"}, 2},
		{[]string{"run", "-q", "--", "sh", "-c", "exit 3"}, 3},
		{[]string{"rename", "ok", ""}, 2},
	} {
		out, errs, code := runIO(t, false, 100, tc.args...)
		if code != tc.code {
			t.Errorf("git exp %s: exit %d, want %d (stderr %q)", strings.Join(tc.args, " "), code, tc.code, errs)
		}
		if tc.code == 2 {
			if out != "" || strings.Count(strings.TrimRight(errs, "\n"), "\n") != 0 || !strings.HasPrefix(errs, "git exp: ") {
				t.Errorf("git exp %s: want one line on stderr and nothing on stdout, got %q / %q", strings.Join(tc.args, " "), out, errs)
			}
		}
	}
}

// The stored params.json and results.json are indented JSON ending with exactly one newline (as git diff and cat
// show them best).
func TestStoredJSONFiles(t *testing.T) {
	testRepo(t)
	mustRun(t, append([]string{"run", "-q", "-n", "a", "-p", "lr=0.1"}, writeResults(`{"acc":0.5}`)...)...)
	var m map[string]any
	json.Unmarshal([]byte(mustRun(t, "show", "a", "--json")), &m)
	id := m["id"].(string)
	for name, want := range map[string]string{"params.json": "{\n  \"lr\": 0.1\n}\n", "results.json": "{\n  \"acc\": 0.5\n}\n"} {
		out, err := exec.Command("git", "cat-file", "-p", "refs/experiments/main:"+id[:2]+"/"+id+"/"+name).Output()
		if err != nil || string(out) != want {
			t.Errorf("stored %s = %q (%v), want %q", name, out, err, want)
		}
	}
}
