// Package exp is the client library a Go program imports to run as a tracked
// experiment under `git exp run`.
//
// A typical program:
//
//	type Config struct {
//		LR     float64 `json:"lr"`
//		Epochs int     `json:"epochs"`
//	}
//
//	func main() {
//		defer exp.Close() // flushes buffered metrics; see Close
//
//		cfg := Config{LR: 0.01, Epochs: 10} // defaults
//		if err := exp.Params(&cfg); err != nil {
//			log.Fatal(err)
//		}
//		for epoch := range cfg.Epochs {
//			loss := train(cfg)
//			exp.Log(map[string]any{"loss": loss}, exp.Step(epoch))
//		}
//		exp.Result("final_loss", loss)
//	}
//
// # The run protocol
//
// `git exp run` passes the experiment to the program through environment
// variables: GIT_EXP_ID, GIT_EXP_NAME, GIT_EXP_OUT (artifact directory),
// GIT_EXP_PARAMS (resolved params, JSON), GIT_EXP_METRICS (metrics, JSONL),
// GIT_EXP_RESULTS (explicit results, JSON), GIT_EXP_REPO, GIT_EXP_ATTEMPT and
// GIT_EXP_PARENT. This package reads them; a program never needs to.
//
// # Bare mode
//
// When GIT_EXP_ID is not set (the program was started with `go run` rather
// than `git exp run`), the package still works, locally and untracked:
//
//   - params are the struct's defaults, overlaid with config.yaml at the root
//     of the enclosing git repository (or the working directory when there is
//     none), overlaid with GIT_EXP_PARAM_<key> environment variables, as
//     `git-exp params` resolves them (so git-exp must be on PATH when there
//     is a config.yaml or such a variable: exp itself imports no YAML library);
//   - metrics go to ./exp-out/metrics.jsonl, results to ./exp-out/results.json
//     and Out() is ./exp-out/artifacts, all relative to the working directory
//     when the Client was created;
//   - each bare run starts fresh: metrics.jsonl, results.json and
//     artifacts/.checkpoints left by a previous bare run are removed on first
//     use, so checkpoints never leak from one bare run into the next;
//   - one line on stderr says so.
//
// # Metrics file format
//
// Each Log call appends one line to the metrics file:
//
//	{"step":3,"time":"2025-01-02T03:04:05.123456789Z","acc":0.91,"loss":0.25}
//
// "step" is an integer >= 0 and "time" is RFC 3339 with nanoseconds, in UTC.
// Values are JSON numbers (floats are always written with a '.' or an
// exponent, so readers can tell 1.0 from 1), booleans or strings. NaN and the
// infinities are written as the bare tokens NaN, Infinity and -Infinity, as
// Python's json module writes and reads them (see package value). Several lines may carry the same step; readers merge them, later
// keys winning (see ReadMetrics). The file is only ever appended to. ScanMetrics
// reads it back in constant memory, point by point (Series.Each) or thinned to a
// number of points for a chart (Series.Thin).
//
// # Concurrency
//
// Everything here is safe for concurrent use by several goroutines. The
// package-level functions use a Client created on first use (see Default).
package exp
