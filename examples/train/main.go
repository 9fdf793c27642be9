// Command train is a small "training" program that shows how a Go experiment
// uses package exp. It trains a tiny neural network (one hidden layer) to tell
// apart two noisy interleaved spirals, and finishes in well under a second.
// Everything is seeded, so two runs with the same params give the same numbers.
//
// Run it untracked, while you work on it (it writes ./exp-out/):
//
//	go run ./examples/train
//	GIT_EXP_PARAM_lr=0.1 GIT_EXP_PARAM_model__hidden=16 go run ./examples/train
//
// Run it as a tracked experiment, stored in the repository with its code,
// params, metrics and model:
//
//	git exp run examples/train/main.go --config examples/train/config.yaml --param lr=0.1
//
// The program follows the usual shape of an experiment:
//
//  1. declare its parameters as a struct, with defaults;
//  2. exp.Params fills the struct in from the run's resolved params;
//  3. each expensive step is wrapped in exp.Checkpoint, so that a failed
//     experiment continued with `git exp continue ID` skips the finished
//     steps;
//  4. exp.Log records metrics while training, exp.Out() receives artifacts,
//     exp.Result stores the final numbers.
package main

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/git-exp/git-exp/exp"
)

// Config holds the experiment's parameters. The json tags are the param names
// (in config.yaml, --param, GIT_EXP_PARAM_*). Nested structs are nested params:
// model.hidden here.
type Config struct {
	LR        float64     `json:"lr"`         // learning rate
	Epochs    int         `json:"epochs"`     // passes over the data
	BatchSize int         `json:"batch_size"` // samples per gradient step
	Samples   int         `json:"samples"`    // size of the synthetic data set
	Noise     float64     `json:"noise"`      // noise added to the data
	Seed      uint64      `json:"seed"`       // seeds data and initial weights
	Model     ModelConfig `json:"model"`
}

// ModelConfig holds the network's shape.
type ModelConfig struct {
	Hidden int `json:"hidden"` // units in the hidden layer
}

// Dataset is the state of the "data" step. Checkpoints are saved as JSON,
// so state structs have exported fields.
type Dataset struct {
	X [][2]float64 // inputs
	Y []float64    // labels, 0 or 1
}

// Model is the state of the "train" step: a 2 -> Hidden -> 1 network.
type Model struct {
	W1 [][2]float64 // hidden weights, one row per hidden unit
	B1 []float64    // hidden biases
	W2 []float64    // output weights
	B2 float64      // output bias
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "train:", err)
		os.Exit(1)
	}
}

func run() error {
	// Close flushes the metrics buffered by exp.Log. Defer it first thing, in
	// a function that returns normally: deferred calls do not run after
	// os.Exit or log.Fatal.
	defer exp.Close()

	// 1. Defaults, then the run's params on top. Keys not in the struct are
	// an error (a typo in a param name must not go unnoticed).
	cfg := Config{LR: 0.5, Epochs: 40, BatchSize: 32, Samples: 400, Noise: 0.15, Seed: 1,
		Model: ModelConfig{Hidden: 16}}
	if err := exp.Params(&cfg); err != nil {
		return err
	}
	if cfg.Epochs < 1 || cfg.BatchSize < 1 || cfg.Samples < 2 || cfg.Model.Hidden < 1 {
		return fmt.Errorf("invalid config %+v", cfg)
	}
	fmt.Printf("experiment %q (id %q, attempt %d): %+v\n", exp.Name(), exp.ID(), exp.Attempt(), cfg)

	// 2. The "data" step. On a continued run it is restored from its
	// checkpoint instead of being computed again.
	var data Dataset
	err := exp.Checkpoint("data", &data, func(d *Dataset) error {
		*d = makeSpirals(cfg.Samples, cfg.Noise, cfg.Seed)
		return nil
	})
	if err != nil {
		return err
	}

	// 3. The "train" step logs one metrics point per epoch. Retry(2) runs it
	// a second time if it fails (useful for flaky resources, e.g. a GPU).
	var model Model
	err = exp.Checkpoint("train", &model, func(m *Model) error {
		*m = newModel(cfg.Model.Hidden, cfg.Seed)
		rng := rand.New(rand.NewPCG(cfg.Seed, 2))
		for epoch := range cfg.Epochs {
			m.trainEpoch(data, cfg.LR, cfg.BatchSize, rng)
			loss, acc := m.evaluate(data)
			if err := exp.Log(map[string]any{"loss": loss, "acc": acc}, exp.Step(epoch)); err != nil {
				return err
			}
		}
		return nil
	}, exp.Retry(2))
	if err != nil {
		return err
	}

	// 4. Artifacts: any file written under exp.Out() is stored with the
	// experiment.
	modelJSON, err := json.MarshalIndent(model, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(exp.Out(), "model.json"), modelJSON, 0o644); err != nil {
		return err
	}

	// 5. Final results: what `git exp list` and comparisons show. (Without
	// them, the last value of each metric is used.)
	loss, acc := model.evaluate(data)
	fmt.Printf("final loss %.4f, accuracy %.3f\n", loss, acc)
	return exp.Results(map[string]any{"loss": loss, "acc": acc, "epochs": cfg.Epochs})
}

// makeSpirals returns n points on two interleaved spirals, labelled 0 and 1.
func makeSpirals(n int, noise float64, seed uint64) Dataset {
	rng := rand.New(rand.NewPCG(seed, 1))
	d := Dataset{X: make([][2]float64, n), Y: make([]float64, n)}
	for i := range n {
		class := i % 2
		t := 0.25 + 1.25*rng.Float64() // how far along the spiral, in half turns
		r := t
		a := math.Pi*t + math.Pi*float64(class)
		d.X[i] = [2]float64{r*math.Cos(a) + noise*rng.NormFloat64(), r*math.Sin(a) + noise*rng.NormFloat64()}
		d.Y[i] = float64(class)
	}
	return d
}

func newModel(hidden int, seed uint64) Model {
	rng := rand.New(rand.NewPCG(seed, 3))
	m := Model{W1: make([][2]float64, hidden), B1: make([]float64, hidden), W2: make([]float64, hidden)}
	for j := range hidden {
		m.W1[j] = [2]float64{2 * rng.NormFloat64(), 2 * rng.NormFloat64()}
		m.W2[j] = rng.NormFloat64() / math.Sqrt(float64(hidden))
	}
	return m
}

// forward returns the hidden activations and the predicted probability of class 1.
func (m *Model) forward(x [2]float64, h []float64) float64 {
	z := m.B2
	for j := range m.W1 {
		h[j] = math.Tanh(m.W1[j][0]*x[0] + m.W1[j][1]*x[1] + m.B1[j])
		z += m.W2[j] * h[j]
	}
	return 1 / (1 + math.Exp(-z))
}

// trainEpoch makes one pass of mini-batch gradient descent on the
// cross-entropy loss, in a shuffled order.
func (m *Model) trainEpoch(d Dataset, lr float64, batch int, rng *rand.Rand) {
	n, hidden := len(d.Y), len(m.W2)
	h := make([]float64, hidden)
	gW1, gB1, gW2 := make([][2]float64, hidden), make([]float64, hidden), make([]float64, hidden)
	order := rng.Perm(n)
	for start := 0; start < n; start += batch {
		end := min(start+batch, n)
		clear(gW1)
		clear(gB1)
		clear(gW2)
		gB2 := 0.0
		for _, i := range order[start:end] {
			x := d.X[i]
			dz := m.forward(x, h) - d.Y[i] // d loss / d output logit
			gB2 += dz
			for j := range hidden {
				gW2[j] += dz * h[j]
				dh := dz * m.W2[j] * (1 - h[j]*h[j]) // back through tanh
				gW1[j][0] += dh * x[0]
				gW1[j][1] += dh * x[1]
				gB1[j] += dh
			}
		}
		step := lr / float64(end-start)
		for j := range hidden {
			m.W1[j][0] -= step * gW1[j][0]
			m.W1[j][1] -= step * gW1[j][1]
			m.B1[j] -= step * gB1[j]
			m.W2[j] -= step * gW2[j]
		}
		m.B2 -= step * gB2
	}
}

// evaluate returns the mean cross-entropy loss and the accuracy on d.
func (m *Model) evaluate(d Dataset) (loss, acc float64) {
	h := make([]float64, len(m.W2))
	for i, x := range d.X {
		p := min(max(m.forward(x, h), 1e-12), 1-1e-12)
		y := d.Y[i]
		loss -= y*math.Log(p) + (1-y)*math.Log(1-p)
		if (p >= 0.5) == (y == 1) {
			acc++
		}
	}
	n := float64(len(d.Y))
	return loss / n, acc / n
}
