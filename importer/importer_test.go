package importer

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/git-exp/git-exp/exp"
	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/importer/fixture"
	"github.com/git-exp/git-exp/thin"
)

// testStore is a store in a new repository with one commit, whose id it returns.
func testStore(t *testing.T) (*gitstore.Store, string) {
	t.Helper()
	t.Setenv("HOME", t.TempDir())
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	dir := t.TempDir()
	for _, args := range [][]string{{"init", "-q"}, {"config", "user.name", "T"}, {"config", "user.email", "t@e"},
		{"commit", "-q", "--allow-empty", "-m", "code"}} {
		if out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	head, err := exec.Command("git", "-C", dir, "rev-parse", "HEAD").Output()
	if err != nil {
		t.Fatal(err)
	}
	st, err := gitstore.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, strings.TrimSpace(string(head))
}

func byImport(t *testing.T, st *gitstore.Store) map[string]*gitstore.Experiment {
	t.Helper()
	exps, err := st.Experiments()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*gitstore.Experiment{}
	for _, e := range exps {
		out[e.Extra[ExtraImportedFrom]] = e
	}
	return out
}

func readFile(t *testing.T, st *gitstore.Store, id, name string) string {
	t.Helper()
	data, ok, err := st.ReadFile(id, name)
	if err != nil || !ok {
		t.Fatalf("%s of %s: ok=%v err=%v", name, id, ok, err)
	}
	return string(data)
}

func tip(t *testing.T, st *gitstore.Store) string {
	t.Helper()
	tip, err := st.Tip()
	if err != nil {
		t.Fatal(err)
	}
	return tip
}

// mlflowStore writes an MLflow store with the odd cases MLflow produces.
func mlflowStore(t *testing.T, head string) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "mlruns")
	must(t, fixture.MLflowExperiment(root, "0", "Default", "active")) // an empty experiment
	must(t, fixture.MLflowExperiment(root, "1", "vision", "active"))
	must(t, fixture.MLflowRun{
		ID: "aaaa1111", Name: "alpha", Status: 3, Start: 1700000000000, End: 1700000060000, User: "ann",
		Params: map[string]string{"lr": "0.01", "batch size": "32", "optimizer": "adam with warmup", "model/depth": "3", "flag": "True"},
		Tags: map[string]string{"mlflow.source.git.commit": head, "mlflow.source.git.branch": "main",
			"mlflow.note.content": "first try", "team": "cv", "mlflow.source.name": "train.py"},
		Metrics: map[string][]string{
			"loss":      {"1700000001000 0.9 0", "1700000002000 nan 1", "1700000003000 0.5 2"},
			"train/acc": {"1700000001000 0.5 0", "1700000002000 inf 1", "1700000003000 -inf 2"},
			"time":      {"1700000003000 12.5 2"}, // a name metrics.jsonl reserves
		},
		Artifacts: map[string]string{"model.txt": "weights", "plots/a.csv": "1,2"},
	}.Write(root, "1"))
	must(t, fixture.MLflowRun{
		ID: "bbbb2222", Name: "beta", Status: 1, Start: 1700000100000, User: "ann",
		Params:  map[string]string{"lr": "0.1"},
		Tags:    map[string]string{"mlflow.source.git.commit": strings.Repeat("d", 40)},
		Metrics: map[string][]string{"loss": {"1700000101000 0.7 0"}},
	}.Write(root, "1"))
	must(t, fixture.MLflowRun{ID: "cccc3333", Name: "gone", Status: 4, Start: 1700000200000, End: 1700000201000, Lifecycle: "deleted"}.Write(root, "1"))
	// A deleted experiment: MLflow moves it to .trash.
	must(t, fixture.MLflowExperiment(filepath.Join(root, ".trash"), "2", "old", "deleted"))
	must(t, fixture.MLflowRun{ID: "dddd4444", Name: "trashed", Status: 3, Start: 1700000300000, End: 1700000301000}.Write(filepath.Join(root, ".trash"), "2"))
	return root
}

func nan() float64 { return math.NaN() }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestMLflow(t *testing.T) {
	st, head := testStore(t)
	root := mlflowStore(t, head)
	ctx := context.Background()

	dry, err := Import(ctx, st, &MLflow{Root: root}, Options{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if dry.Imported != 2 || tip(t, st) != "" {
		t.Fatalf("dry run: %+v, tip %q", dry, tip(t, st))
	}

	sum, err := Import(ctx, st, &MLflow{Root: root}, Options{Tags: []string{"from-mlflow"}})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Imported != 2 || sum.Points != 8 || sum.Commit == "" {
		t.Fatalf("summary %+v", sum)
	}
	if !slices.Equal(sum.Notes, []string{"1 deleted run skipped (--include-deleted imports them)",
		"1 deleted experiment skipped (--include-deleted imports them)", "1 experiment without runs"}) {
		t.Fatalf("notes %q", sum.Notes)
	}
	got := byImport(t, st)
	a, b := got["mlflow:aaaa1111"], got["mlflow:bbbb2222"]
	if a == nil || b == nil || len(got) != 2 {
		t.Fatalf("imported %v", got)
	}
	if a.Name != "alpha" || a.Status != gitstore.StatusCompleted || a.Description != "first try" || a.User != "ann" || a.Script != "train.py" {
		t.Fatalf("alpha: %+v", a.Manifest)
	}
	if a.Started != "2023-11-14T22:13:20.000Z" || a.Ended != "2023-11-14T22:14:20.000Z" || a.DurationS != 60 {
		t.Fatalf("alpha times: %s %s %v", a.Started, a.Ended, a.DurationS)
	}
	if !slices.Equal(a.Tags, []string{"team=cv", "from-mlflow"}) {
		t.Fatalf("alpha tags %q", a.Tags)
	}
	if a.Git.Snapshot != head || a.Git.Head != head || a.Git.Branch != "main" || a.Extra[ExtraNoSnapshot] != "" {
		t.Fatalf("alpha git %+v extra %v", a.Git, a.Extra)
	}
	if b.Status != gitstore.StatusRunning || b.Ended != "" || b.Git.Snapshot != "" || !strings.Contains(b.Extra[ExtraNoSnapshot], "not in this repository") {
		t.Fatalf("beta: %+v", b.Manifest)
	}
	var params map[string]any
	must(t, json.Unmarshal([]byte(readFile(t, st, a.ID, "params.json")), &params))
	want := map[string]any{"lr": 0.01, "batch size": 32.0, "optimizer": "adam with warmup", "model/depth": 3.0, "flag": true} // Python's str(True) is a YAML bool
	for k, v := range want {
		if params[k] != v {
			t.Errorf("param %q = %#v, want %#v", k, params[k], v)
		}
	}
	metrics := readFile(t, st, a.ID, "metrics.jsonl")
	wantMetrics := `{"step":0,"time":"2023-11-14T22:13:21.000Z","loss":0.9,"train/acc":0.5}
{"step":1,"time":"2023-11-14T22:13:22.000Z","loss":NaN,"train/acc":Infinity}
{"step":2,"time":"2023-11-14T22:13:23.000Z","loss":0.5,"time_":12.5,"train/acc":-Infinity}
`
	if metrics != wantMetrics {
		t.Fatalf("metrics.jsonl:\n%s\nwant:\n%s", metrics, wantMetrics)
	}
	if r := readFile(t, st, a.ID, "results.json"); r != `{"loss":0.5,"time_":12.5,"train/acc":-Infinity}`+"\n" {
		t.Fatalf("results.json %q", r)
	}
	if readFile(t, st, a.ID, "artifacts/plots/a.csv") != "1,2" {
		t.Fatal("artifact")
	}
	// The snapshot is an extra parent of the commit, so gc and push keep the code with the experiment.
	out, err := exec.Command("git", "-C", st.Root, "rev-list", "--parents", "-n1", gitstore.Ref).Output()
	if err != nil || !strings.Contains(string(out), head) {
		t.Fatalf("parents %s %v", out, err)
	}

	// Importing again adds nothing; --include-deleted adds the deleted run only.
	before := tip(t, st)
	again, err := Import(ctx, st, &MLflow{Root: root}, Options{})
	if err != nil || again.Imported != 0 || again.Already != 2 || tip(t, st) != before {
		t.Fatalf("second import: %+v %v", again, err)
	}
	del, err := Import(ctx, st, &MLflow{Root: root, IncludeDeleted: true}, Options{})
	if err != nil || del.Imported != 2 {
		t.Fatalf("include deleted: %+v %v", del, err)
	}
	if d := byImport(t, st)["mlflow:dddd4444"]; d == nil || d.Extra["mlflow_lifecycle_stage"] != "deleted" || d.Extra["mlflow_experiment"] != "old" {
		t.Fatalf("run of a deleted experiment: %+v", d)
	}
	if c := byImport(t, st)["mlflow:cccc3333"]; c == nil || c.Status != gitstore.StatusFailed || c.Extra["mlflow_lifecycle_stage"] != "deleted" {
		t.Fatalf("deleted run: %+v", c)
	}
}

func TestMLflowBadInput(t *testing.T) {
	st, head := testStore(t)
	ctx := context.Background()
	root := mlflowStore(t, head)
	bad := filepath.Join(root, "1", "bbbb2222", "metrics", "loss")
	must(t, os.WriteFile(bad, []byte("1700000101000 0.7 0\n1700000102000 zero 1\n"), 0o644))
	_, err := Import(ctx, st, &MLflow{Root: root}, Options{})
	if err == nil || !strings.Contains(err.Error(), bad+": line 2: value \"zero\" is not a number") {
		t.Fatalf("err %v", err)
	}
	if tip(t, st) != "" {
		t.Fatal("a failed import wrote the store")
	}
	for _, dir := range []string{t.TempDir(), filepath.Join(t.TempDir(), "missing")} {
		if _, err := Import(ctx, st, &MLflow{Root: dir}, Options{}); err == nil || !strings.Contains(err.Error(), dir) {
			t.Fatalf("%s: %v", dir, err)
		}
	}
	must(t, os.WriteFile(filepath.Join(root, "1", "meta.yaml"), []byte("name: [unclosed\n"), 0o644))
	if _, err := Import(ctx, st, &MLflow{Root: root}, Options{}); err == nil || !strings.Contains(err.Error(), "meta.yaml: not valid YAML") {
		t.Fatalf("bad yaml: %v", err)
	}
}

func TestYanex(t *testing.T) {
	st, head := testStore(t)
	ctx := context.Background()
	root := t.TempDir()
	must(t, fixture.YanexExperiment(root, "a1b2c3d4",
		`{"id": "a1b2c3d4", "name": "baseline run", "description": "d", "tags": ["cnn", "v1"], "status": "completed",
		  "created_at": "2025-01-02T03:04:05.123456", "started_at": "2025-01-02T03:04:06", "completed_at": "2025-01-02T03:05:06",
		  "script_path": "/home/u/proj/train.py", "script_args": ["--fast"], "git": {"commit_hash": "`+head+`", "branch": "dev", "repo_path": "/home/u/proj", "has_uncommitted_changes": true, "patch_file": "artifacts/git_diff.patch"}}`,
		"lr: 0.001\nmodel:\n  name: res net\n  layers: [1, 2]\n",
		`[{"loss": 1.5, "acc": 0.1, "step": 0, "timestamp": "2025-01-02T03:04:10.5"},
		  {"loss": NaN, "val/acc": Infinity, "step": 1, "timestamp": "2025-01-02T03:04:20"},
		  {"loss": 0.5, "step": 2, "timestamp": "2025-01-02T03:04:30"},
		  {"loss": 0.25}]`,
		"epoch 1\n", "warn\n"))
	must(t, fixture.YanexExperiment(root, "e5f6a7b8",
		`{"id": "e5f6a7b8", "name": null, "status": "running", "created_at": "2025-01-03T00:00:00", "git": {"commit_hash": "`+strings.Repeat("0", 40)+`"}}`,
		"", "", "", ""))
	sum, err := Import(ctx, st, &Yanex{Root: root}, Options{})
	if err != nil || sum.Imported != 2 {
		t.Fatalf("%+v %v", sum, err)
	}
	got := byImport(t, st)
	a, b := got["yanex:a1b2c3d4"], got["yanex:e5f6a7b8"]
	if a.Name != "baseline run" || !slices.Equal(a.Tags, []string{"cnn", "v1"}) || a.Git.Snapshot != head || a.Git.Branch != "dev" ||
		a.Created != "2025-01-02T03:04:05.123Z" || a.DurationS != 60 || !slices.Equal(a.Argv, []string{"python3", "-u", "train.py", "--fast"}) || a.Script != "train.py" {
		t.Fatalf("a: %+v", a.Manifest)
	}
	if !a.Git.Dirty || a.Extra["yanex_patch"] != "artifacts/git_diff.patch" {
		t.Fatalf("a: uncommitted changes not recorded: %+v %v", a.Git, a.Extra)
	}
	if b.Name != "e5f6a7b8" || b.Status != gitstore.StatusRunning || b.Git.Snapshot != "" {
		t.Fatalf("b: %+v", b.Manifest)
	}
	if p := readFile(t, st, a.ID, "params.json"); p != `{"lr":0.001,"model":{"layers":[1,2],"name":"res net"}}`+"\n" {
		t.Fatalf("params %s", p)
	}
	m := readFile(t, st, a.ID, "metrics.jsonl")
	if !strings.Contains(m, `{"step":1,"time":"2025-01-02T03:04:20.000Z","loss":NaN,"val/acc":Infinity}`) ||
		!strings.HasSuffix(m, `{"step":3,"loss":0.25}`+"\n") {
		t.Fatalf("metrics %s", m)
	}
	if readFile(t, st, a.ID, "artifacts/stdout.txt") != "epoch 1\n" {
		t.Fatal("stdout artifact")
	}
	if _, ok, _ := st.ReadFile(a.ID, thin.FileName); ok {
		t.Fatal("a chart summary stored beside a short series")
	}
	if data, ok, _ := st.ReadFile(b.ID, "metrics.jsonl"); ok {
		t.Fatalf("metrics of a run without any: %q", data)
	}

	// A new experiment with a malformed metadata.json: one line naming the file, nothing written.
	must(t, fixture.YanexExperiment(root, "ffff0000", `{"status": "completed",`, "", "", "", ""))
	before := tip(t, st)
	_, err = Import(ctx, st, &Yanex{Root: root}, Options{})
	if err == nil || !strings.Contains(err.Error(), filepath.Join(root, "ffff0000", "metadata.json")+": not valid JSON") || tip(t, st) != before {
		t.Fatalf("malformed metadata: %v", err)
	}
}

// TestImportStoresChartSummary: an imported run whose metrics file is long enough gets the chart summary that the
// end of a run stores (thin.FileName): the one thin builds of the metrics.jsonl stored.
func TestImportStoresChartSummary(t *testing.T) {
	st, _ := testStore(t)
	root := t.TempDir()
	var sb strings.Builder
	sb.WriteString("[")
	for i := range 80000 { // ~3.5 MB of metrics.jsonl: past thin.MinFileBytes, with a summary worth storing
		if i > 0 {
			sb.WriteString(",\n")
		}
		loss := fmt.Sprintf("%.6g", math.Exp(-float64(i)/2e4)+0.01*math.Sin(float64(i)))
		switch {
		case i%1009 == 5:
			loss = "NaN"
		case i%2003 == 7:
			loss = "Infinity"
		case i%3001 == 11:
			loss = "-0.0"
		case i%4001 == 13:
			loss = "3"
		}
		fmt.Fprintf(&sb, `{"step": %d, "loss": %s, "acc": %.4g`, i, loss, float64(i%1000)/1000)
		if i%3 != 0 {
			fmt.Fprintf(&sb, `, "timestamp": "2025-01-02T03:%02d:%02d.%06d"`, i/3600%60, i/60%60, i*37%1000000)
		}
		if i%500 == 0 {
			fmt.Fprintf(&sb, `, "phase": "eval", "epoch": %d`, i/500)
		}
		sb.WriteString("}")
	}
	sb.WriteString("]")
	must(t, fixture.YanexExperiment(root, "1e9ab0c7", `{"id": "1e9ab0c7", "name": "long", "status": "completed", "created_at": "2025-01-02T03:04:05"}`,
		"lr: 0.1\n", sb.String(), "", ""))
	if _, err := Import(context.Background(), st, &Yanex{Root: root}, Options{}); err != nil {
		t.Fatal(err)
	}
	e := byImport(t, st)["yanex:1e9ab0c7"]
	metrics := readFile(t, st, e.ID, "metrics.jsonl")
	sr, err := exp.ScanMetrics(func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(metrics)), nil })
	if err != nil {
		t.Fatal(err)
	}
	want, err := thin.Build(sr)
	if err != nil {
		t.Fatal(err)
	}
	if len(metrics) < thin.MinFileBytes || !thin.Worth(want, int64(len(metrics))) {
		t.Fatalf("the fixture is too short: %d bytes of metrics, a summary of %d", len(metrics), len(want))
	}
	if got := readFile(t, st, e.ID, thin.FileName); got != string(want) {
		t.Fatalf("%s: %.300s\nwant %.300s", thin.FileName, got, want)
	}
	// metrics.summary.json too, as a run's end derives it: what --where and --sort read as metrics.NAME.
	derived := thin.Derived(func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(metrics)), nil }, int64(len(metrics)))
	got := readFile(t, st, e.ID, thin.SummaryFileName)
	if got == "" || got != string(derived[thin.SummaryFileName]) {
		t.Fatalf("%s: %.300s\nwant %.300s", thin.SummaryFileName, got, derived[thin.SummaryFileName])
	}
	for _, want := range []string{`"max": 0.999`, `"min": 0`, `"last": 0.999`} {
		if !strings.Contains(got, want) {
			t.Errorf("%s lacks %s: %.500s", thin.SummaryFileName, want, got)
		}
	}
}

func TestYanexNotAStore(t *testing.T) {
	st, _ := testStore(t)
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644))
	_, err := Import(context.Background(), st, &Yanex{Root: dir}, Options{})
	if err == nil || !strings.Contains(err.Error(), "is not a yanex experiments directory") {
		t.Fatal(err)
	}
}

func TestTensorBoard(t *testing.T) {
	st, _ := testStore(t)
	ctx := context.Background()
	root := filepath.Join(t.TempDir(), "logs")
	_, err := fixture.TensorBoardRun(filepath.Join(root, "lr_0.1"), 1700000000,
		fixture.Event{WallTime: 1700000000.5, HParams: map[string]any{"lr": 0.1, "batch": 64.0, "opt": "sgd", "nesterov": true}},
		fixture.Event{WallTime: 1700000001, Step: 1, Scalars: []fixture.Scalar{{Tag: "loss", Value: 0.1}, {Tag: "eval/acc", Value: 0.25, Tensor: true, Plugin: "scalars"}}},
		fixture.Event{WallTime: 1700000002, Step: 2, Scalars: []fixture.Scalar{{Tag: "loss", Value: 0.05}, {Tag: "eval/acc", Value: 0.5, Tensor: true}}},
		fixture.Event{WallTime: 1700000003, Step: 3, Scalars: []fixture.Scalar{{Tag: "loss", Value: nan()}}},
		fixture.Event{WallTime: 1700000004, EndStatus: 2},
	)
	must(t, err)
	damaged, err := fixture.TensorBoardRun(filepath.Join(root, "broken"), 1700000100,
		fixture.Event{WallTime: 1700000101, Step: 0, Scalars: []fixture.Scalar{{Tag: "loss", Value: 1}}},
		fixture.Event{WallTime: 1700000102, Step: 1, Scalars: []fixture.Scalar{{Tag: "loss", Value: 2}}},
	)
	must(t, err)
	data, _ := os.ReadFile(damaged)
	must(t, os.WriteFile(damaged, data[:len(data)-5], 0o644)) // cut inside the last record

	var warnings []string
	sum, err := Import(ctx, st, &TensorBoard{Roots: []string{root}}, Options{Warn: func(s string) { warnings = append(warnings, s) }})
	if err != nil || sum.Imported != 2 {
		t.Fatalf("%+v %v", sum, err)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], damaged+": damaged at byte ") || !strings.Contains(warnings[0], "truncated record") ||
		!strings.Contains(warnings[0], "imported the 2 events before it") {
		t.Fatalf("warnings %q", warnings)
	}
	abs, _ := filepath.Abs(filepath.Join(root, "lr_0.1"))
	got := byImport(t, st)
	run := got["tensorboard:"+abs]
	if run == nil || run.Name != "logs/lr_0.1" || run.Status != gitstore.StatusFailed || run.Started != "2023-11-14T22:13:20.500Z" {
		t.Fatalf("run %+v (%v)", run, got)
	}
	if p := readFile(t, st, run.ID, "params.json"); p != `{"batch":64,"lr":0.1,"nesterov":true,"opt":"sgd"}`+"\n" {
		t.Fatalf("params %s", p)
	}
	m := readFile(t, st, run.ID, "metrics.jsonl")
	want := `{"step":1,"time":"2023-11-14T22:13:21.000Z","loss":0.1,"eval/acc":0.25}
{"step":2,"time":"2023-11-14T22:13:22.000Z","loss":0.05,"eval/acc":0.5}
{"step":3,"time":"2023-11-14T22:13:23.000Z","loss":NaN}
`
	if m != want {
		t.Fatalf("metrics:\n%s\nwant\n%s", m, want)
	}
	absB, _ := filepath.Abs(filepath.Join(root, "broken"))
	if m := readFile(t, st, got["tensorboard:"+absB].ID, "metrics.jsonl"); strings.Count(m, "\n") != 1 {
		t.Fatalf("damaged run kept %q", m)
	}
	if _, err := Import(ctx, st, &TensorBoard{Roots: []string{t.TempDir()}}, Options{}); err == nil || !strings.Contains(err.Error(), "holds no TensorBoard event files") {
		t.Fatal(err)
	}
}

// TestConcurrentImports: an import that finds the store moved by another import of the same runs (here, one run
// while the first was reading) records none of them twice.
func TestConcurrentImports(t *testing.T) {
	st, head := testStore(t)
	ctx := context.Background()
	root := mlflowStore(t, head)
	other, err := gitstore.Open(ctx, st.Root)
	must(t, err)
	defer other.Close()
	sum, err := Import(ctx, st, &MLflow{Root: root}, Options{Start: func(int) {
		if s, err := Import(ctx, other, &MLflow{Root: root}, Options{}); err != nil || s.Imported != 2 {
			t.Errorf("inner import: %+v %v", s, err)
		}
	}})
	if err != nil || sum.Imported != 0 || sum.Already != 2 {
		t.Fatalf("outer import: %+v %v", sum, err)
	}
	if got := byImport(t, st); len(got) != 2 {
		t.Fatalf("%d experiments", len(got))
	}
}
