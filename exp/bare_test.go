package exp

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// bareRepo makes a repository-like directory tree, cds into a subdirectory
// of it and clears the run protocol from the environment.
func bareRepo(t *testing.T, configYAML string) (root, sub string) {
	gitExpOnPath(t)
	root = t.TempDir()
	if err := os.Mkdir(filepath.Join(root, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	if configYAML != "" {
		os.WriteFile(filepath.Join(root, "config.yaml"), []byte(configYAML), 0o644)
	}
	sub = filepath.Join(root, "cmd", "train")
	os.MkdirAll(sub, 0o755)
	t.Chdir(sub)
	for _, k := range []string{EnvID, EnvName, EnvOut, EnvParams, EnvMetrics, EnvResults, EnvRepo, EnvAttempt, EnvParent} {
		t.Setenv(k, "")
	}
	return root, sub
}

func TestBareMode(t *testing.T) {
	_, sub := bareRepo(t, "lr: 0.5\nmodel:\n  hidden: 128\n")
	t.Setenv("GIT_EXP_PARAM_model__layers", "6")
	t.Setenv("GIT_EXP_PARAM_epochs", "4")
	stderr := &syncBuffer{}
	c := New(WithStderr(stderr))
	defer c.Close()

	if c.Tracked() || c.ID() != "" || c.Attempt() != 1 || c.Parent() != "" || c.Name() == "" {
		t.Fatalf("bare identity: tracked %v id %q attempt %d parent %q name %q", c.Tracked(), c.ID(), c.Attempt(), c.Parent(), c.Name())
	}
	got := defaults()
	if err := c.Params(&got); err != nil {
		t.Fatal(err)
	}
	want := defaults()
	want.LR, want.Epochs, want.Model.Hidden, want.Model.Layers = 0.5, 4, 128, 6
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("params\ngot  %+v\nwant %+v", got, want)
	}

	if err := c.Log(map[string]any{"loss": 1.5}); err != nil {
		t.Fatal(err)
	}
	if err := c.Result("acc", 0.9); err != nil {
		t.Fatal(err)
	}
	out := c.Out()
	if out != filepath.Join(sub, "exp-out", "artifacts") {
		t.Fatalf("Out() = %s", out)
	}
	if fi, err := os.Stat(out); err != nil || !fi.IsDir() {
		t.Fatal("Out() not created")
	}
	c.Close()
	if m := readFile(t, filepath.Join(sub, "exp-out", "metrics.jsonl")); !strings.Contains(m, `"loss":1.5`) {
		t.Fatalf("metrics: %s", m)
	}
	if r := readFile(t, filepath.Join(sub, "exp-out", "results.json")); r != `{"acc":0.9}`+"\n" {
		t.Fatalf("results: %q", r)
	}
	if n := strings.Count(stderr.String(), "not running under git exp"); n != 1 {
		t.Fatalf("notice printed %d times:\n%s", n, stderr)
	}
	if !strings.HasPrefix(stderr.String(), bareNotice) {
		t.Fatalf("stderr: %q", stderr)
	}

	// The next bare run starts fresh: old metrics, results and checkpoints go.
	var st ckptState
	c.Checkpoint("step", &st, func() error { return nil })
	c2 := New(WithStderr(stderr))
	defer c2.Close()
	ran := false
	c2.Checkpoint("step", &st, func() error { ran = true; return nil })
	c2.Log(map[string]any{"loss": 2})
	c2.Close()
	if !ran {
		t.Error("a checkpoint leaked into the next bare run")
	}
	if m := readFile(t, filepath.Join(sub, "exp-out", "metrics.jsonl")); strings.Contains(m, `"loss":1.5`) || !strings.HasPrefix(m, `{"step":0,`) {
		t.Fatalf("metrics of the second run: %s", m)
	}
	if _, err := os.Stat(filepath.Join(sub, "exp-out", "results.json")); !os.IsNotExist(err) {
		t.Error("stale results.json kept")
	}
}

func TestBareModeErrors(t *testing.T) {
	bareRepo(t, "lr: [unclosed\n")
	c := New(WithStderr(&syncBuffer{}))
	var cfg trainCfg
	if err := c.Params(&cfg); err == nil {
		t.Fatal("broken config.yaml accepted")
	}

	bareRepo(t, "")
	t.Setenv("GIT_EXP_PARAM_model____x", "1")
	c = New(WithStderr(&syncBuffer{}))
	if err := c.Params(&cfg); err == nil {
		t.Fatal("invalid GIT_EXP_PARAM_ name accepted")
	}
}

func TestBareModeNoRepo(t *testing.T) {
	// Outside a repository, config.yaml is looked for in the working directory
	// (unless some ancestor of the temp dir is a repository).
	dir := t.TempDir()
	if repoRoot(dir) != dir {
		t.Skip("temporary directory is inside a git repository")
	}
	gitExpOnPath(t)
	t.Chdir(dir)
	t.Setenv(EnvID, "")
	os.WriteFile("config.yaml", []byte("epochs: 2\n"), 0o644)
	c := New(WithStderr(&syncBuffer{}))
	cfg := defaults()
	if err := c.Params(&cfg); err != nil || cfg.Epochs != 2 {
		t.Fatal(err, cfg.Epochs)
	}
}

func TestTrackedMissingVars(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	stderr := &syncBuffer{}
	c := New(WithEnviron([]string{EnvID + "=0123456789abcdef", EnvAttempt + "=3", EnvParent + "=fedcba9876543210"}), WithStderr(stderr))
	if !c.Tracked() || c.Attempt() != 3 || c.Parent() != "fedcba9876543210" {
		t.Fatal("identity")
	}
	var m map[string]any
	if err := c.Params(&m); err != nil || len(m) != 0 {
		t.Fatal(m, err)
	}
	c.Log(map[string]any{"x": 1})
	c.Close()
	if !strings.Contains(stderr.String(), "GIT_EXP_METRICS is not set") {
		t.Fatalf("stderr: %s", stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, BareDir, "metrics.jsonl")); err != nil {
		t.Fatal(err)
	}
}

func TestResults(t *testing.T) {
	c, r := newTracked(t, "")
	// Results already there (a continued experiment) are kept.
	os.WriteFile(r.results, []byte(`{"old":1,"acc":0.1}`), 0o644)
	if err := c.Result("acc", 0.9); err != nil {
		t.Fatal(err)
	}
	if err := c.Results(map[string]any{"loss": 0.25, "epochs": 10, "bad": []any{1.5, "x"}, "inf": 1 / zero()}); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, r.results); got != `{"acc":0.9,"bad":[1.5,"x"],"epochs":10,"inf":Infinity,"loss":0.25,"old":1}`+"\n" {
		t.Fatalf("results: %s", got)
	}
	if err := c.Result("", 1); err == nil {
		t.Error("empty name accepted")
	}
	if err := c.Result("ch", make(chan int)); err == nil || !strings.Contains(err.Error(), `result "ch"`) {
		t.Errorf("err = %v", err)
	}
	os.WriteFile(r.results, []byte(`[1]`), 0o644)
	c2 := New(WithEnviron(c.environ), WithStderr(r.stderr))
	if err := c2.Result("x", 1); err == nil {
		t.Error("non-object results file overwritten")
	}
}

func zero() float64 { return 0 }
