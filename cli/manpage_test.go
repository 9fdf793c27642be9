package cli

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/alecthomas/kong"
)

var updateMan = flag.Bool("update-man", false, "rewrite the generated part of doc/git-exp.1 from the command tree")

const (
	manPath  = "../doc/git-exp.1"
	manBegin = ".\\\" BEGIN COMMANDS: generated from the command tree by go test ./cli -run TestManPage -update-man\n"
	manEnd   = ".\\\" END COMMANDS\n"
)

// TestManPage keeps the man page in step with -h: its COMMANDS section is what the command tree says (every command,
// argument and flag, with its help), and the test fails when they differ. go test ./cli -run TestManPage -update-man
// rewrites that section; the rest of the page is written by hand.
func TestManPage(t *testing.T) {
	data, err := os.ReadFile(manPath)
	if err != nil {
		t.Fatal(err)
	}
	page := string(data)
	i, j := strings.Index(page, manBegin), strings.Index(page, manEnd)
	if i < 0 || j < i {
		t.Fatalf("%s has no %q ... %q section", manPath, strings.TrimSpace(manBegin), strings.TrimSpace(manEnd))
	}
	var cli CLI
	k, err := kong.New(&cli, kong.Name("git exp"), kong.Vars{"version": "test"})
	if err != nil {
		t.Fatal(err)
	}
	want := manCommands(k.Model)
	got := page[i+len(manBegin) : j]
	if got == want {
		return
	}
	if *updateMan {
		if err := os.WriteFile(manPath, []byte(page[:i+len(manBegin)]+want+page[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
	for n := 0; n < len(gl) || n < len(wl); n++ {
		g, w := "", ""
		if n < len(gl) {
			g = gl[n]
		}
		if n < len(wl) {
			w = wl[n]
		}
		if g != w {
			t.Fatalf("doc/git-exp.1 is out of step with the command tree (go test ./cli -run TestManPage -update-man "+
				"rewrites its COMMANDS section); first difference, line %d of the section:\n man: %s\ntree: %s", n+1, g, w)
		}
	}
}

// TestManPageFlags checks what the comparison above relies on: every flag of every visible command is on the page.
func TestManPageFlags(t *testing.T) {
	data, err := os.ReadFile(manPath)
	if err != nil {
		t.Fatal(err)
	}
	var cli CLI
	k, err := kong.New(&cli, kong.Name("git exp"), kong.Vars{"version": "test"})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range k.Model.Leaves(true) {
		for _, f := range n.Flags {
			if !f.Hidden && !strings.Contains(string(data), manEscape("--"+f.Name)) {
				t.Errorf("git exp %s: flag --%s is not in doc/git-exp.1", n.Path(), f.Name)
			}
		}
	}
}

// manCommands renders the COMMANDS and GLOBAL OPTIONS sections of the man page from the command tree.
func manCommands(app *kong.Application) string {
	var b strings.Builder
	b.WriteString(".SH COMMANDS\n")
	for _, n := range app.Leaves(true) {
		fmt.Fprintf(&b, ".SS \"git exp %s\"\n", manEscape(strings.TrimSpace(n.Summary())))
		b.WriteString(manEscape(n.Help) + "\n")
		if n.Detail != "" {
			b.WriteString(".PP\n" + manEscape(n.Detail) + "\n")
		}
		for _, a := range n.Positional {
			fmt.Fprintf(&b, ".TP\n\\fI%s\\fR\n%s\n", manEscape(a.Summary()), manEscape(a.Help))
		}
		for _, f := range n.Flags {
			if f.Hidden {
				continue
			}
			manFlag(&b, f)
		}
	}
	b.WriteString(".SH GLOBAL OPTIONS\n")
	for _, f := range app.Flags {
		if !f.Hidden {
			manFlag(&b, f)
		}
	}
	return b.String()
}

func manFlag(b *strings.Builder, f *kong.Flag) {
	b.WriteString(".TP\n")
	if f.Short != 0 {
		fmt.Fprintf(b, "\\fB\\-%c\\fR, ", f.Short)
	}
	fmt.Fprintf(b, "\\fB%s\\fR", manEscape("--"+f.Name))
	for _, a := range f.Aliases {
		fmt.Fprintf(b, ", \\fB%s\\fR", manEscape("--"+a))
	}
	if !f.IsBool() && !f.IsCounter() {
		fmt.Fprintf(b, "=\\fI%s\\fR", manEscape(f.FormatPlaceHolder()))
	}
	b.WriteString("\n" + manEscape(f.Help))
	if f.HasDefault && f.Default != "" && !f.IsBool() {
		fmt.Fprintf(b, " (default: %s)", manEscape(f.Default))
	}
	b.WriteString("\n")
}

// manEscape makes text safe in roff: backslashes, hyphens as minus signs, and no line starting with a control
// character.
func manEscape(s string) string {
	s = strings.NewReplacer(`\`, `\e`, "-", `\-`).Replace(s)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, ".") || strings.HasPrefix(l, "'") {
			lines[i] = `\&` + l
		}
	}
	return strings.Join(lines, "\n")
}
