// Command genstore fabricates N experiments directly into the store of a repository, fast: one `git fast-import`
// stream writes the store's root commit (VERSION only, byte for byte the one git-exp creates) and one commit holding
// N experiment directories in the fan-out layout of DESIGN.md §3, each with experiment.json, params.json and
// results.json. It writes the store with git fast-import, not with gitstore's writer, so it also checks that a store
// written by another program reads back whole; the manifest is gitstore.Manifest itself (no copy to drift).
//
//	go run ./bench/genstore -C REPO -n 10000 [-snapshot COMMIT] [-seed 1]
//
// The experiments are finished (completed, some failed), created one minute apart, ids from a seeded generator.
// -snapshot names the snapshot commit recorded in git.snapshot and added as an extra parent of the commit.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/git-exp/git-exp/gitstore"
)

func main() {
	dir := flag.String("C", ".", "repository")
	n := flag.Int("n", 10000, "number of experiments")
	snapshot := flag.String("snapshot", "", "snapshot commit (git.snapshot, and an extra parent of the commit)")
	seed := flag.Uint64("seed", 1, "seed of the ids and values")
	ref := flag.String("ref", "refs/experiments/main", "ref to write")
	flag.Parse()
	if err := run(*dir, *ref, *n, *snapshot, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "genstore:", err)
		os.Exit(1)
	}
}

func run(dir, ref string, n int, snapshot string, seed uint64) error {
	head := ""
	if snapshot != "" {
		out, err := exec.Command("git", "-C", dir, "rev-parse", "--verify", snapshot+"^{commit}").Output()
		if err != nil {
			return fmt.Errorf("snapshot %s is not a commit", snapshot)
		}
		snapshot = strings.TrimSpace(string(out))
		if out, err := exec.Command("git", "-C", dir, "rev-parse", "--verify", "-q", snapshot+"^").Output(); err == nil {
			head = strings.TrimSpace(string(out))
		}
	}
	cmd := exec.Command("git", "-C", dir, "fast-import", "--quiet", "--done")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	w := bufio.NewWriterSize(stdin, 1<<20)
	data := func(b []byte) {
		fmt.Fprintf(w, "data %d\n", len(b))
		w.Write(b)
		w.WriteByte('\n')
	}
	// The root: parentless, VERSION only, fixed identity and date (the same commit git-exp creates).
	fmt.Fprintf(w, "commit %s\nmark :1\ncommitter git-exp <git-exp@localhost> 0 +0000\n", ref)
	data([]byte("git-exp store, format 1\n"))
	fmt.Fprintf(w, "M 100644 inline VERSION\n")
	data([]byte("1\n"))

	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	fmt.Fprintf(w, "commit %s\nmark :2\ncommitter Bench User <bench@example.com> %d +0000\n", ref, base.Add(time.Duration(n)*time.Minute).Unix())
	data([]byte(fmt.Sprintf("import %d experiments (bench/genstore)\n", n)))
	fmt.Fprintf(w, "from :1\n")
	if snapshot != "" {
		fmt.Fprintf(w, "merge %s\n", snapshot)
	}
	seen := map[string]bool{}
	models := []string{"mlp", "cnn", "resnet", "vit"}
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("%016x", rng.Uint64())
		if seen[id] {
			i--
			continue
		}
		seen[id] = true
		created := base.Add(time.Duration(i) * time.Minute)
		dur := 5 + rng.Float64()*55
		ended := created.Add(time.Duration(dur * float64(time.Second)))
		status, code, errMsg := "completed", 0, ""
		if i%10 == 9 {
			status, code, errMsg = "failed", 1, "exit status 1"
		}
		lr := []float64{0.1, 0.01, 0.001, 0.0001}[i%4]
		bs := []int{16, 32, 64, 128}[(i/4)%4]
		m := gitstore.Manifest{
			Format: 1, ID: id, Name: fmt.Sprintf("train[lr=%g,bs=%d]", lr, bs), Description: "",
			Tags: []string{"bench"}, Status: status, Script: "train.py", Argv: []string{"python3", "-u", "train.py"},
			Executor: "local", Host: "bench-host", User: "Bench User",
			Created: ts(created), Started: ts(created), Ended: ts(ended), Updated: ts(ended),
			DurationS: float64(int(dur*1000)) / 1000, ExitCode: &code, Error: errMsg,
			Git: gitstore.GitInfo{Head: head, Branch: "main", Snapshot: snapshot, Skipped: []string{}},
		}
		if i%3 == 0 {
			m.Tags = append(m.Tags, "sweep")
		}
		manifestJSON, _ := json.MarshalIndent(m, "", "  ")
		params, _ := json.MarshalIndent(map[string]any{
			"lr": lr, "batch_size": bs, "epochs": 10 + i%5,
			"model": map[string]any{"name": models[i%len(models)], "layers": 2 + i%6, "dropout": 0.1},
			"seed":  i,
		}, "", "  ")
		results, _ := json.MarshalIndent(map[string]any{
			"loss": float64(int(rng.Float64()*1e6)) / 1e6, "accuracy": float64(int(rng.Float64()*1e4)) / 1e4, "step": 1000,
		}, "", "  ")
		dirPath := id[:2] + "/" + id + "/"
		for _, f := range []struct {
			name string
			b    []byte
		}{{"experiment.json", manifestJSON}, {"params.json", params}, {"results.json", results}} {
			fmt.Fprintf(w, "M 100644 inline %s%s\n", dirPath, f.name)
			data(append(f.b, '\n'))
		}
	}
	fmt.Fprintf(w, "\ndone\n")
	if err := w.Flush(); err != nil {
		return err
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("git fast-import: %w", err)
	}
	return nil
}

func ts(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }
