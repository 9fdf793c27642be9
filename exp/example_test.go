package exp_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/git-exp/git-exp/exp"
)

// A complete experiment program: params with defaults, a checkpointed step
// that logs metrics, an artifact and a result.
func Example() {
	defer exp.Close() // flush metrics when main returns

	type Config struct {
		LR     float64 `json:"lr"`
		Epochs int     `json:"epochs"`
		Model  struct {
			Hidden int `json:"hidden"`
		} `json:"model"`
	}
	cfg := Config{LR: 0.01, Epochs: 5}
	cfg.Model.Hidden = 32
	if err := exp.Params(&cfg); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}

	type State struct{ Loss float64 }
	var st State
	err := exp.Checkpoint("train", &st, func(st *State) error {
		st.Loss = 1
		for epoch := range cfg.Epochs {
			st.Loss *= 1 - cfg.LR
			if err := exp.Log(map[string]any{"loss": st.Loss}, exp.Step(epoch)); err != nil {
				return err
			}
		}
		return nil
	}, exp.Retry(3))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	os.WriteFile(filepath.Join(exp.Out(), "loss.txt"), fmt.Appendf(nil, "%g\n", st.Loss), 0o644)
	exp.Result("loss", st.Loss)
}

// Reading a metrics file, as `git exp` does.
func ExampleReadMetrics() {
	f, err := os.Open("metrics.jsonl")
	if err != nil {
		return
	}
	defer f.Close()
	points, err := exp.ReadMetrics(f)
	if err != nil {
		return
	}
	for _, p := range points {
		if loss, ok := exp.Float(p.Values["loss"]); ok {
			fmt.Println(p.Step, loss)
		}
	}
}
