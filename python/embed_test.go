package python

import (
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
)

func TestExtract(t *testing.T) {
	base := t.TempDir()
	var wg sync.WaitGroup
	dirs := make([]string, 8)
	errs := make([]error, 8)
	for i := range dirs { // concurrent runs of one sweep extract at once: all get the same, complete package
		wg.Add(1)
		go func() {
			defer wg.Done()
			dirs[i], errs[i] = Extract(base)
		}()
	}
	wg.Wait()
	for i := range dirs {
		if errs[i] != nil || dirs[i] != dirs[0] {
			t.Fatalf("Extract #%d = %q, %v; want %q", i, dirs[i], errs[i], dirs[0])
		}
	}
	if want := filepath.Join(base, DirName()); dirs[0] != want {
		t.Fatalf("Extract = %q, want %q", dirs[0], want)
	}
	if !regexp.MustCompile(`^[0-9][0-9A-Za-z.+-]*-[0-9a-f]{12}$`).MatchString(DirName()) {
		t.Errorf("DirName() = %q, want VERSION-DIGEST", DirName())
	}
	entries, err := os.ReadDir(dirs[0])
	if err != nil || len(entries) != 1 || entries[0].Name() != "git_exp" {
		t.Fatalf("%s holds %v (%v), want only git_exp", dirs[0], entries, err)
	}
	left, _ := os.ReadDir(base)
	if len(left) != 1 {
		t.Errorf("%s holds %d entries (temporary directories left behind?)", base, len(left))
	}
	for _, name := range []string{"__init__.py", "_client.py", "_read.py", "registry.py", "yanex.py", "py.typed"} {
		want, err := os.ReadFile(filepath.Join(PackageDir, name))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(dirs[0], PackageDir, name))
		if err != nil || string(got) != string(want) {
			t.Errorf("%s: extracted copy differs from the source (%v)", name, err)
		}
	}
	// A second call only checks.
	again, err := Extract(base)
	if err != nil || again != dirs[0] {
		t.Fatalf("second Extract = %q, %v", again, err)
	}
}

func TestVersionMatchesInit(t *testing.T) {
	init, err := os.ReadFile(filepath.Join(PackageDir, "__init__.py"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^__version__ = "`+regexp.QuoteMeta(Version())+`"$`).Match(init) || Version() == "" {
		t.Fatalf("Version() = %q does not match __init__.py", Version())
	}
}

func TestExtractUnwritable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root can write anywhere")
	}
	base := filepath.Join(t.TempDir(), "ro")
	os.Mkdir(base, 0o555)
	if _, err := Extract(filepath.Join(base, "x")); err == nil {
		t.Fatal("Extract into a read-only directory succeeded")
	}
}
