package exp

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type ckptState struct {
	Data  []float64
	Steps int
}

func TestCheckpointRunsThenRestores(t *testing.T) {
	c, r := newTracked(t, "")
	calls := 0
	step := func() error {
		var st ckptState
		err := c.Checkpoint("data", &st, func() error {
			calls++
			st.Data = []float64{1, 2, 3}
			st.Steps = 7
			return c.Log(map[string]any{"loaded": len(st.Data)})
		})
		if err != nil {
			t.Fatal(err)
		}
		if st.Steps != 7 || len(st.Data) != 3 {
			t.Fatalf("state %+v", st)
		}
		return err
	}
	step()
	path := filepath.Join(r.out, ".checkpoints", "data.json")
	var saved ckptState
	if err := json.Unmarshal([]byte(readFile(t, path)), &saved); err != nil || saved.Steps != 7 {
		t.Fatalf("saved %q: %v", readFile(t, path), err)
	}
	// The step's metrics were flushed before the checkpoint was saved.
	if !strings.Contains(readFile(t, r.metrics), `"loaded":3`) {
		t.Error("metrics of the checkpointed step not flushed")
	}
	// A continued experiment (new process, same Out()) skips the step.
	c2 := New(WithEnviron(c.environ), WithStderr(r.stderr))
	c = c2
	step()
	step()
	if calls != 1 {
		t.Fatalf("fn ran %d times, want 1", calls)
	}
	if n := strings.Count(r.stderr.String(), "exp: checkpoint data restored\n"); n != 1 {
		t.Fatalf("restore reported %d times:\n%s", n, r.stderr)
	}
}

func TestCheckpointRetry(t *testing.T) {
	c, r := newTracked(t, "")
	boom := errors.New("boom")
	var st ckptState
	tries := 0
	err := c.Checkpoint("train", &st, func() error {
		tries++
		st.Steps++
		if tries < 3 {
			return boom
		}
		return nil
	}, Retry(3))
	if err != nil || tries != 3 || st.Steps != 3 {
		t.Fatalf("err %v, tries %d, state %+v", err, tries, st)
	}
	if n := strings.Count(r.stderr.String(), "retrying"); n != 2 {
		t.Errorf("%d retry messages:\n%s", n, r.stderr)
	}

	tries = 0
	err = c.Checkpoint("eval", &st, func() error { tries++; return boom }, Retry(2))
	if !errors.Is(err, boom) || tries != 2 || !strings.Contains(err.Error(), `checkpoint "eval": failed 2 times: boom`) {
		t.Fatalf("err %v, tries %d", err, tries)
	}
	if _, err := os.Stat(filepath.Join(r.out, ".checkpoints", "eval.json")); !os.IsNotExist(err) {
		t.Fatal("failed step was checkpointed")
	}
	tries = 0
	if err := c.Checkpoint("once", &st, func() error { tries++; return boom }); !errors.Is(err, boom) || tries != 1 {
		t.Fatalf("err %v, tries %d", err, tries)
	}
}

func TestCheckpointAtomicSave(t *testing.T) {
	c, r := newTracked(t, "")
	dir := filepath.Join(r.out, ".checkpoints")
	// An earlier crash mid-save leaves only a temporary file: it is ignored.
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, ".s.json.tmp-123"), []byte(`{"Steps":`), 0o644)
	st := ckptState{Steps: 1}
	if err := c.Checkpoint("s", &st, func() error { st.Steps = 2; return nil }); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != ".s.json.tmp-123,s.json" {
		t.Fatalf("checkpoint dir holds %v", names)
	}
	if fi, _ := os.Stat(filepath.Join(dir, "s.json")); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v", fi.Mode())
	}
	// Unencodable state: an error, and no file.
	bad := struct{ F func() }{F: func() {}}
	if err := c.Checkpoint("bad", &bad, func() error { return nil }); err == nil {
		t.Fatal("unencodable state saved")
	}
	if _, err := os.Stat(filepath.Join(dir, "bad.json")); !os.IsNotExist(err) {
		t.Fatal("bad.json exists")
	}
	// A corrupt checkpoint is an error that says what to do, not a silent rerun.
	os.WriteFile(filepath.Join(dir, "corrupt.json"), []byte(`{"Steps":"x"}`), 0o644)
	if err := c.Checkpoint("corrupt", &st, func() error { t.Fatal("ran"); return nil }); err == nil || !strings.Contains(err.Error(), "delete it") {
		t.Fatalf("err %v", err)
	}
}

func TestCheckpointNames(t *testing.T) {
	c, _ := newTracked(t, "")
	var st ckptState
	for _, name := range []string{"", ".", "..", "a/b", `a\b`, ".hidden", "a b", "x\x00"} {
		if err := c.Checkpoint(name, &st, func() error { return nil }); err == nil {
			t.Errorf("name %q accepted", name)
		}
	}
	for _, name := range []string{"data", "train-1", "eval_2.v3"} {
		if err := c.Checkpoint(name, &st, func() error { return nil }); err != nil {
			t.Errorf("name %q: %v", name, err)
		}
	}
	if err := c.Checkpoint("x", st, func() error { return nil }); err == nil {
		t.Error("non-pointer state accepted")
	}
}

func TestCheckpointGeneric(t *testing.T) {
	// The package-level generic function uses the Default client: bare mode
	// in a temporary directory.
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv(EnvID, "")
	resetDefault()
	t.Cleanup(func() { Close(); resetDefault() })
	st := ckptState{}
	err := Checkpoint("gen", &st, func(s *ckptState) error { s.Steps = 5; return nil })
	if err != nil || st.Steps != 5 {
		t.Fatal(err, st)
	}
	if _, err := os.Stat(filepath.Join(dir, BareDir, "artifacts", ".checkpoints", "gen.json")); err != nil {
		t.Fatal(err)
	}
	if err := Checkpoint[ckptState]("nil", nil, nil); err == nil {
		t.Fatal("nil state accepted")
	}
}
