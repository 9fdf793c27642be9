package cli

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
)

func TestEscapeControls(t *testing.T) {
	for in, want := range map[string]string{
		"plain":          "plain",
		"tab\tkept":      "tab\tkept",
		"\x1b]0;pwned\a": `\x1b]0;pwned\x07`,
		"\x1b[2J":        `\x1b[2J`,
		"a\nb\rc":        `a\x0ab\x0dc`,
		"del\x7f":        `del\x7f`,
		"c1\u009b2J":     `c1\u009b2J`,
		"bad\xff":        `bad\xff`,
		"ünïcödé ✓":      "ünïcödé ✓",
	} {
		if got := escapeControls(in); got != want {
			t.Errorf("escapeControls(%q) = %q, want %q", in, got, want)
		}
	}
}

// Issue 14, item 9: data with terminal escapes reaches a terminal escaped, in every human output; pipes and --json
// keep the exact bytes.
func TestTerminalEscapesEscaped(t *testing.T) {
	if testing.Short() {
		t.Skip("runs git")
	}
	dir := t.TempDir()
	t.Setenv("HOME", t.TempDir())
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	t.Setenv("GIT_CONFIG_GLOBAL", "/dev/null")
	for _, args := range [][]string{{"init", "-q"}, {"config", "user.name", "T"}, {"config", "user.email", "t@e"}, {"commit", "-q", "--allow-empty", "-m", "x"}} {
		if out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	t.Chdir(dir) // restored after the test (-C would change the directory of the whole test binary)
	evil := "\x1b]0;pwned\a\x1b[2J"
	run := func(tty bool, args ...string) (string, string) {
		t.Helper()
		var out, errb bytes.Buffer
		io := &IO{Out: &out, Err: &errb, OutTTY: tty, ErrTTY: tty, Width: 200}
		if code := MainContext(context.Background(), args, io); code != 0 {
			t.Fatalf("git exp %q: exit %d: %s", args, code, errb.String())
		}
		return out.String(), errb.String()
	}
	run(false, "run", "-q", "-n", "a"+evil, "-p", "v="+evil, "--", "true")
	run(false, "run", "-q", "-n", "b", "-p", "v=x", "--", "true")
	run(false, "tag", "b", "+t"+evil)
	run(false, "describe", "b", "d"+evil)
	for _, args := range [][]string{
		{"list"}, {"list", "--columns", "id,name,v,tags"}, {"show", "b"}, {"show", "a" + evil}, {"compare", "a" + evil, "b"},
		{"diff", "a" + evil, "b"}, {"batches"},
	} {
		out, errs := run(true, args...)
		if strings.ContainsAny(out+errs, "\x1b\a") {
			t.Errorf("git exp %q on a terminal printed control characters:\n%q", args, out+errs)
		}
		if args[0] != "batches" && !strings.Contains(out, `\x1b]0;pwned\x07\x1b[2J`) {
			t.Errorf("git exp %q on a terminal does not show the escaped text:\n%q", args, out)
		}
	}
	// pipes and --json: the exact bytes
	out, _ := run(false, "list", "--columns", "name,v,tags")
	if !strings.Contains(out, "a"+evil+"\t"+evil) || !strings.Contains(out, "t"+evil) {
		t.Errorf("a pipe did not get the exact bytes: %q", out)
	}
	out, _ = run(true, "show", "--json", "b")
	if !strings.Contains(out, `d\u001b]0;pwned\u0007\u001b[2J`) {
		t.Errorf("show --json changed the description: %q", out)
	}
}
