// Package results reads the experiments that git exp stores on refs/experiments/main, for Go programs and notebooks
// that analyse them: the role of pyexp's results(). It is the same code the git exp reading commands use for their
// filters (--status, --tag, --name, --script, --batch, --since, --until, --where, --archived) and --sort, so a
// question asked on the command line and in Go gets the same answer.
//
//	db, err := results.Open(".")
//	if err != nil { ... }
//	defer db.Close()
//	best, err := db.Find(ctx, results.Filter{
//		Status: []string{"completed"},
//		Where:  []string{"lr > 0.01 and results.acc >= 0.9"},
//	}, results.Sort("-results.acc", "lr"), results.Limit(10))
//	for _, e := range best {
//		fmt.Println(e.ID, e.Name, e.Params["lr"], e.Results["acc"])
//		points, _ := e.Metrics()       // the metric series
//		rc, _ := e.Artifact("model.json") // a file the script wrote to $GIT_EXP_OUT, streamed
//		log, _ := e.Log(false)         // the captured stdout, decompressed
//	}
//
// Parameters and results keep their JSON types: integers are int (float64 beyond int64), other numbers float64 (a parameter given as 3
// in one run and 3.0 in another compares equal in expressions, but is an int in one and a float64 in the other
// here; Experiment.Float converts).
//
// A DB reads the store's local cache (.git/exp/cache-v*, the version gitstore sets), so finding among 100,000
// experiments takes a fraction of a second, and keeps what it read while refs/experiments/main does not move. It
// never writes to the repository.
//
// Dependencies: gitstore, query, config, exp and the standard library (and the zstd decoder gitstore already uses);
// not the command-line packages.
package results
