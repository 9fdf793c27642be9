package cli

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/git-exp/git-exp/importer/fixture"
)

func importRepo(t *testing.T) (repo, mlruns string) {
	t.Helper()
	t.Setenv("HOME", t.TempDir())
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	repo = t.TempDir()
	for _, args := range [][]string{{"init", "-q"}, {"config", "user.name", "T"}, {"config", "user.email", "t@e"}} {
		if out, err := exec.Command("git", append([]string{"-C", repo}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	mlruns = filepath.Join(t.TempDir(), "mlruns")
	if err := fixture.MLflowExperiment(mlruns, "1", "e", "active"); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"r1", "r2"} {
		r := fixture.MLflowRun{ID: id, Name: "run-" + id, Status: 3, Start: 1700000000000, End: 1700000001000,
			Params: map[string]string{"lr": "0.1"}, Metrics: map[string][]string{"loss": {"1700000000500 0.5 0"}}}
		if err := r.Write(mlruns, "1"); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(repo) // restored after the test (-C would move the whole test process)
	return repo, mlruns
}

// On a pipe: --dry-run prints one tab-separated line a run on stdout, the summary on stderr, no progress bar.
func TestImport_nontty(t *testing.T) {
	_, mlruns := importRepo(t)
	var out, errb bytes.Buffer
	code := MainContext(context.Background(), []string{"import", "mlflow", mlruns, "--dry-run"}, &IO{Out: &out, Err: &errb})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	want := "mlflow:r1\trun-r1\tcompleted\t1 params\t1 points\nmlflow:r2\trun-r2\tcompleted\t1 params\t1 points\n"
	if out.String() != want {
		t.Fatalf("stdout %q, want %q", out.String(), want)
	}
	if errb.String() != "would import 2 experiments (2 metric points) from mlflow "+mlruns+"\n" {
		t.Fatalf("stderr %q", errb.String())
	}
}

// On a terminal: a progress bar on stderr, then the summary line.
func TestImport_tty(t *testing.T) {
	_, mlruns := importRepo(t)
	var out, errb bytes.Buffer
	code := MainContext(context.Background(), []string{"import", "mlflow", mlruns, "--tag", "old"}, &IO{Out: &out, Err: &errb, OutTTY: true, ErrTTY: true, Width: 80})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "importing from mlflow") || !strings.Contains(errb.String(), "2/2") {
		t.Fatalf("no progress bar in %q", errb.String())
	}
	if !strings.Contains(errb.String(), "imported 2 experiments (2 metric points) from mlflow "+mlruns+" in commit ") {
		t.Fatalf("stderr %q", errb.String())
	}
	if out.Len() != 0 {
		t.Fatalf("stdout %q", out.String())
	}
}
