package test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The layering of DESIGN.md §1 for the value tree: value imports only the standard library, exp (imported by users'
// programs) only the standard library and value, config no longer needs sweep, and gitstore no longer needs config.
// Git runs only below the store: cli reaches git through gitstore's methods, never through internal/gitcmd. The
// lifecycle (run) sits between: cli → run → gitstore → internal/gitcmd.
func TestDependencyRules(t *testing.T) {
	const mod = "github.com/git-exp/git-exp/"
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}:{{join .Imports " "}}`,
		"../value", "../exp", "../thin", "../config", "../gitstore", "../run", "../cli").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	allowed := map[string][]string{ // imports of this module, or of other modules, each package may have
		mod + "value":  {},
		mod + "exp":    {mod + "value"},
		mod + "thin":   {mod + "value", mod + "exp"}, // what is derived from a metric series (chart and value summaries): run, import, UI
		mod + "config": {mod + "value", "gopkg.in/yaml.v3"},
		mod + "gitstore": {mod + "value", mod + "internal/gitcmd", "github.com/klauspost/compress/",
			"github.com/zeebo/xxh3"}, // the cache's checksums (issue 14): CRC-32C cost ~20% of a warm list's decode
		// The lifecycle sits between the commands and the store: it reaches git only through gitstore, and knows
		// nothing of the commands or the web UI above it.
		mod + "run": {mod + "gitstore", mod + "value", mod + "exp", mod + "thin", mod + "python"},
	}
	forbidden := map[string][]string{ // imports a package may not have (its other imports are free)
		mod + "cli": {mod + "internal/gitcmd"},
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, ":")
		if no, ok := forbidden[pkg]; ok {
			for _, imp := range strings.Fields(imports) {
				if slices.Contains(no, imp) {
					t.Errorf("%s imports %s; git runs only below the store (add a gitstore method)", pkg, imp)
				}
			}
			continue
		}
		for _, imp := range strings.Fields(imports) {
			if first, _, _ := strings.Cut(imp, "/"); !strings.Contains(first, ".") {
				continue // the standard library
			}
			ok := false
			for _, a := range allowed[pkg] {
				ok = ok || imp == a || strings.HasSuffix(a, "/") && strings.HasPrefix(imp, a)
			}
			if !ok {
				t.Errorf("%s imports %s; it may import only the standard library and %v", pkg, imp, allowed[pkg])
			}
		}
	}
}

// The lifecycle lives in run/ (doc/design.md): cli parses flags, calls run, renders. So cli starts no process and
// sends no signal for an experiment — os/exec and syscall appear only in the files named here, for what is not an
// experiment's lifecycle — and it never writes an experiment's record as a run does: creating, staging, starting
// (ThisRunner), moving (a store transaction), finishing experiments and telling that a runner is gone (Alive) are
// run's.
func TestCLIHasNoLifecycle(t *testing.T) {
	processImports := map[string]map[string]string{ // file → import → why it may
		"cli.go":      {"syscall": "the signals that cancel a command's context (SIGTERM, SIGHUP)"},
		"complete.go": {"os/exec": "the completion index rebuilt in the background", "syscall": "in its own session"},
		"ui.go":       {"os/exec": "opening a browser on the web UI"},
	}
	lifecycleMethods := map[string]bool{"Create": true, "CreateBatch": true, "Finish": true, "PrepareOutputs": true, "Update": true, "Alive": true}
	lifecycleFuncs := map[string]bool{"ThisRunner": true, "WriteManifest": true, "ReadManifest": true}
	fset, files := cliSources(t)
	for name, f := range files {
		pkgs := map[string]string{} // local name → import path
		for _, imp := range f.Imports {
			p := strings.Trim(imp.Path.Value, `"`)
			local := p[strings.LastIndex(p, "/")+1:]
			if imp.Name != nil {
				local = imp.Name.Name
			}
			pkgs[local] = p
			if (p == "os/exec" || p == "syscall") && processImports[name][p] == "" {
				t.Errorf("cli/%s imports %s: starting, signalling or waiting for processes is run's (add a run function)", name, p)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			id, isIdent := sel.X.(*ast.Ident)
			switch {
			case isIdent && pkgs[id.Name] != "":
				if strings.HasSuffix(pkgs[id.Name], "/gitstore") && lifecycleFuncs[sel.Sel.Name] {
					t.Errorf("%s: cli calls gitstore.%s: recording runs is run's", fset.Position(sel.Pos()), sel.Sel.Name)
				}
			case lifecycleMethods[sel.Sel.Name]:
				t.Errorf("%s: cli calls .%s: creating, moving and finishing experiments is run's", fset.Position(sel.Pos()), sel.Sel.Name)
			}
			return true
		})
	}
}

// Commands read the terminal, the command line and the colour choice only through the injected IO (cli.IO), so that
// in-process tests see what a user sees: os.Stdin, os.Stdout, os.Stderr, os.Args and NO_COLOR appear in cli.go's
// SystemIO and nowhere else in cli.
func TestCLIReadsOnlyInjectedIO(t *testing.T) {
	fset, files := cliSources(t)
	for _, f := range files {
		var inSystemIO func(pos token.Pos) bool = func(token.Pos) bool { return false }
		for _, d := range f.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Name.Name == "SystemIO" && fn.Recv == nil {
				lo, hi := fn.Pos(), fn.End()
				inSystemIO = func(pos token.Pos) bool { return pos >= lo && pos < hi }
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.SelectorExpr:
				if id, ok := n.X.(*ast.Ident); ok && id.Name == "os" && !inSystemIO(n.Pos()) {
					switch n.Sel.Name {
					case "Stdin", "Stdout", "Stderr", "Args":
						t.Errorf("%s: cli reads os.%s outside SystemIO: use the injected IO (env.IO, env.Argv)", fset.Position(n.Pos()), n.Sel.Name)
					}
				}
			case *ast.BasicLit:
				if n.Value == `"NO_COLOR"` && !inSystemIO(n.Pos()) {
					t.Errorf("%s: cli reads NO_COLOR outside SystemIO: use IO.Color / IO.ErrColor", fset.Position(n.Pos()))
				}
			}
			return true
		})
	}
}

// cliSources parses cli's non-test Go files, by file name.
func cliSources(t *testing.T) (*token.FileSet, map[string]*ast.File) {
	t.Helper()
	paths, err := filepath.Glob("../cli/*.go")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no cli sources: %v", err)
	}
	fset := token.NewFileSet()
	files := map[string]*ast.File{}
	for _, path := range paths {
		name := filepath.Base(path)
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files[name] = f
	}
	return fset, files
}
