package results_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"

	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/results"
)

// Find the completed runs with a learning rate above 0.01 and an accuracy of at least 0.9, best first, then read
// the best one's metrics, log and an artifact.
func Example() {
	dir := exampleRepo() // a repository where git exp has recorded four runs of train.py
	defer os.RemoveAll(dir)

	db, err := results.Open(dir)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	exps, err := db.Find(context.Background(), results.Filter{
		Status: []string{"completed"},
		Where:  []string{"lr > 0.01 and results.acc >= 0.9"},
	}, results.Sort("-results.acc", "lr"))
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range exps {
		fmt.Printf("%s lr=%v acc=%v\n", e.Name, e.Params["lr"], e.Results["acc"])
	}

	best := exps[0]
	points, err := best.Metrics()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("loss by step:", points[0].Values["loss"], points[1].Values["loss"])
	out, err := best.Log(false)
	if err != nil {
		log.Fatal(err)
	}
	defer out.Close()
	io.Copy(os.Stdout, out)
	model, err := best.Artifact("model.json")
	if err != nil {
		log.Fatal(err)
	}
	defer model.Close()
	io.Copy(os.Stdout, model)
	// Output:
	// train[lr=0.1] lr=0.1 acc=0.95
	// train[lr=1] lr=1 acc=0.93
	// loss by step: 1.5 0.5
	// training lr=0.1
	// {"w": [0.1]}
}

// exampleRepo records experiments the way git exp run does, through gitstore.
func exampleRepo() string {
	dir, err := os.MkdirTemp("", "results-example-")
	if err != nil {
		log.Fatal(err)
	}
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"config", "user.name", "Ex"}, {"config", "user.email", "ex@example.com"},
		{"commit", "-q", "--allow-empty", "-m", "init"}} {
		if out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput(); err != nil {
			log.Fatalf("git %v: %v %s", args, err, out)
		}
	}
	st, err := gitstore.Open(context.Background(), dir)
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	for _, r := range []struct {
		lr, acc, status string
	}{{"0.1", "0.95", "completed"}, {"1", "0.93", "completed"}, {"0.001", "0.99", "completed"}, {"0.5", "0.97", "failed"}} {
		m := &gitstore.Manifest{ID: gitstore.NewID(), Name: "train[lr=" + r.lr + "]", Status: gitstore.StatusRunning, Script: "train.py", Created: gitstore.Now()}
		if err := st.Create(context.Background(), "start", m, []byte(`{"lr": `+r.lr+`}`)); err != nil {
			log.Fatal(err)
		}
		sp := st.SpoolFor(m.ID)
		os.MkdirAll(sp.Out, 0o755)
		os.WriteFile(sp.Stdout, []byte("training lr="+r.lr+"\n"), 0o644)
		os.WriteFile(sp.Metrics, []byte(`{"step":0,"loss":1.5}`+"\n"+`{"step":1,"loss":0.5}`+"\n"), 0o644)
		os.WriteFile(sp.Out+"/model.json", []byte(`{"w": [`+r.lr+`]}`+"\n"), 0o644)
		prep, err := st.PrepareOutputs(gitstore.Outputs{Spool: sp, Results: []byte(`{"acc": ` + r.acc + `}`)})
		if err != nil {
			log.Fatal(err)
		}
		err = st.Finish(context.Background(), "finish", m.ID, prep, func(m *gitstore.Manifest) error {
			m.Status = r.status
			return nil
		})
		if err != nil {
			log.Fatal(err)
		}
		os.RemoveAll(sp.Dir)
	}
	return dir
}
