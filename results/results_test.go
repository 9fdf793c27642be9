package results_test

import (
	"context"
	"errors"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/git-exp/git-exp/exp"
	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/internal/testrepo"
	"github.com/git-exp/git-exp/query"
	"github.com/git-exp/git-exp/results"
)

// fixture records a small, varied store and returns the repository and the ids by name.
func fixture(t *testing.T) (string, map[string]string) {
	t.Helper()
	dir := testrepo.New(t)
	st := testrepo.Open(t, dir)
	now := time.Now()
	ids := map[string]string{}
	add := func(r testrepo.Run) { ids[r.Name] = testrepo.Record(t, st, r) }
	add(testrepo.Run{Name: "sweep-a", Params: `{"lr": 0.1, "bs": 32, "model": {"name": "resnet"}}`, Results: `{"acc": 0.95}`,
		Tags: []string{"best", "sweep"}, Created: now.Add(-72 * time.Hour),
		Stdout: "hello a\n", Stderr: "warn a\n", Metrics: `{"step":0,"loss":1.5}` + "\n" + `{"step":1,"loss":0.5}` + "\n",
		Artifacts: map[string]string{"model.json": `{"w": [1, 2]}`, "plots/loss.txt": "1.5 0.5"}})
	add(testrepo.Run{Name: "sweep-b", Script: "other.py", Params: `{"lr": 1, "bs": 64}`, Results: `{"acc": 0.92}`,
		Tags: []string{"sweep"}, Created: now.Add(-48 * time.Hour)})
	add(testrepo.Run{Name: "low-lr", Params: `{"lr": 0.001, "bs": 32}`, Results: `{"acc": 0.99}`, Status: gitstore.StatusFailed,
		Created: now.Add(-24 * time.Hour)})
	add(testrepo.Run{Name: "no-lr", Params: `{"bs": 16}`, Results: `{"acc": 0.97}`, Created: now.Add(-2 * time.Hour)})
	add(testrepo.Run{Name: "archived", Params: `{"lr": 0.5}`, Results: `{"acc": 0.96}`, Created: now.Add(-1 * time.Hour)})
	add(testrepo.Run{Name: "removed", Params: `{"lr": 0.5}`, Results: `{"acc": 0.96}`, Created: now.Add(-1 * time.Hour)})
	add(testrepo.Run{Name: "member", Params: `{"lr": 0.02}`, Results: `{"acc": 0.5}`, Batch: "abcdef0123456789", Seq: 1,
		Created: now.Add(-30 * time.Minute)})
	testrepo.Note(t, st, ids["archived"], gitstore.Note{Op: "archive"})
	testrepo.Note(t, st, ids["removed"], gitstore.Note{Op: "delete"})
	testrepo.Note(t, st, ids["sweep-b"], gitstore.Note{Op: "tag", Tags: []string{"checked"}})
	return dir, ids
}

func TestFind(t *testing.T) {
	dir, ids := fixture(t)
	db, err := results.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	find := func(f results.Filter, opts ...results.Option) string {
		t.Helper()
		exps, err := db.Find(ctx, f, opts...)
		if err != nil {
			t.Fatal(err)
		}
		return names(exps)
	}
	for _, tt := range []struct {
		name string
		f    results.Filter
		opts []results.Option
		want string
	}{
		{"newest first, archived and removed left out", results.Filter{}, nil, "member no-lr low-lr sweep-b sweep-a"},
		{"archived included", results.Filter{Archived: true}, nil, "member archived no-lr low-lr sweep-b sweep-a"},
		// lr is an int (1) in sweep-b and a float elsewhere: compared as numbers. no-lr has no lr: false, not an error.
		{"where, int and float", results.Filter{Where: []string{"lr > 0.01 and results.acc >= 0.9"}}, nil, "sweep-b sweep-a"},
		{"where on a missing key", results.Filter{Where: []string{"lr != 0.1"}}, nil, "member low-lr sweep-b"},
		{"where, several", results.Filter{Where: []string{"bs in [32, 64]", "not (model.name == 'resnet')"}}, nil, "low-lr sweep-b"},
		{"where on metadata", results.Filter{Where: []string{"meta.status == 'failed' or tags == 'checked'"}}, nil, "low-lr sweep-b"},
		{"status", results.Filter{Status: []string{"failed", "running"}}, nil, "low-lr"},
		{"tags, all of", results.Filter{Tags: []string{"sweep", "best"}}, nil, "sweep-a"},
		{"name glob", results.Filter{Name: "sweep-*"}, nil, "sweep-b sweep-a"},
		{"script glob", results.Filter{Script: "oth*.py"}, nil, "sweep-b"},
		{"batch prefix", results.Filter{Batch: "abcdef"}, nil, "member"},
		{"since", results.Filter{Since: time.Now().Add(-25 * time.Hour)}, nil, "member no-lr low-lr"},
		{"until", results.Filter{Until: time.Now().Add(-25 * time.Hour)}, nil, "sweep-b sweep-a"},
		{"sort descending", results.Filter{}, []results.Option{results.Sort("-results.acc")}, "low-lr no-lr sweep-a sweep-b member"},
		{"sort, missing last", results.Filter{}, []results.Option{results.Sort("lr")}, "low-lr member sweep-a sweep-b no-lr"},
		{"sort descending, missing last", results.Filter{}, []results.Option{results.Sort("-lr")}, "sweep-b sweep-a member low-lr no-lr"},
		{"sort by two keys", results.Filter{}, []results.Option{results.Sort("bs", "-results.acc")}, "no-lr low-lr sweep-a sweep-b member"},
		{"sort by metadata", results.Filter{}, []results.Option{results.Sort("name")}, "low-lr member no-lr sweep-a sweep-b"},
		{"limit", results.Filter{}, []results.Option{results.Sort("-results.acc"), results.Limit(2)}, "low-lr no-lr"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := find(tt.f, tt.opts...); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}

	// Types are kept.
	a, err := db.Get("sweep-a")
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != ids["sweep-a"] || a.Status != "completed" {
		t.Errorf("Get: %s %s", a.ID, a.Status)
	}
	if _, ok := a.Params["bs"].(int); !ok {
		t.Errorf("bs is a %T, want int", a.Params["bs"])
	}
	if v, ok := a.Float("results.acc"); !ok || v != 0.95 {
		t.Errorf("Float(results.acc) = %v %v", v, ok)
	}
	if v, ok := a.Value("model.name"); !ok || v != "resnet" {
		t.Errorf("Value(model.name) = %v %v", v, ok)
	}
	b, _ := db.Get(ids["sweep-b"][:6])
	if b == nil || strings.Join(b.Tags, ",") != "sweep,checked" {
		t.Errorf("tag note not applied: %v", b)
	}
}

func TestFilterErrors(t *testing.T) {
	_, err := results.Filter{Where: []string{"lr >"}}.Compile()
	var fe *results.FilterError
	var qe *query.Error
	if !errors.As(err, &fe) || fe.Field != "where" || !errors.As(err, &qe) || qe.Column() != 5 {
		t.Fatalf("got %v", err)
	}
	if !strings.Contains(err.Error(), `expected a value after ">" at column 5`) {
		t.Errorf("message: %v", err)
	}
	if _, err := (results.Filter{Name: "[a"}).Compile(); !errors.As(err, &fe) || fe.Field != "name" {
		t.Errorf("bad glob: %v", err)
	}
	dir := testrepo.New(t)
	db, err := results.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Find(context.Background(), results.Filter{}, results.Sort("-")); !errors.Is(err, results.ErrBadSortKey) {
		t.Errorf("empty sort key: %v", err)
	}
	// No store yet: nothing, no error.
	if exps, err := db.Find(context.Background(), results.Filter{}); err != nil || len(exps) != 0 {
		t.Errorf("empty store: %v %v", exps, err)
	}
	if _, err := results.Open(t.TempDir()); !errors.Is(err, gitstore.ErrNotRepo) {
		t.Errorf("outside a repository: %v", err)
	}
}

func TestGetAndBatch(t *testing.T) {
	dir, ids := fixture(t)
	db, err := results.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Get("removed"); err == nil {
		t.Error("a removed experiment was found")
	}
	if e, err := db.Get("archived"); err != nil || e.ID != ids["archived"] || !e.Archived {
		t.Errorf("archived: %v %v", e, err)
	}
	if _, err := db.Get("nope"); err == nil || !strings.Contains(err.Error(), `no experiment matches "nope"`) {
		t.Errorf("unknown: %v", err)
	}
	members, err := db.Batch("abcd")
	if err != nil || names(members) != "member" {
		t.Errorf("Batch: %v %v", names(members), err)
	}
	if _, err := db.Batch("ffff"); err == nil {
		t.Error("unknown batch found")
	}
}

func TestOutputs(t *testing.T) {
	dir, _ := fixture(t)
	db, err := results.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	a, err := db.Get("sweep-a")
	if err != nil {
		t.Fatal(err)
	}
	pts, err := a.Metrics()
	if err != nil || len(pts) != 2 || pts[1].Step != 1 || pts[1].Values["loss"] != 0.5 {
		t.Errorf("Metrics: %+v %v", pts, err)
	}
	series, err := a.Series()
	if err != nil || series.Len() != 2 || !reflect.DeepEqual(series.Names(), []string{"loss"}) {
		t.Fatalf("Series: %v", err)
	}
	var thin []exp.Point
	if err := series.Thin(1, func(p exp.Point) error { thin = append(thin, p); return nil }); err != nil ||
		len(thin) != 1 || thin[0].Step != 1 || thin[0].Values["loss"] != 0.5 {
		t.Errorf("Thin(1): %+v %v", thin, err)
	}
	read := func(rc io.ReadCloser, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if got := read(a.Log(false)); got != "hello a\n" {
		t.Errorf("stdout %q", got)
	}
	if got := read(a.Log(true)); got != "warn a\n" {
		t.Errorf("stderr %q", got)
	}
	if got := read(a.Artifact("plots/loss.txt")); got != "1.5 0.5" {
		t.Errorf("artifact %q", got)
	}
	if _, err := a.Artifact("nope.txt"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing artifact: %v", err)
	}
	if _, err := a.Artifact("../experiment.json"); err == nil {
		t.Error("an artifact path outside the output directory was accepted")
	}
	if list, err := a.Artifacts(); err != nil || strings.Join(list, ",") != "model.json,plots/loss.txt" {
		t.Errorf("Artifacts: %v %v", list, err)
	}
	b, _ := db.Get("sweep-b")
	if pts, err := b.Metrics(); err != nil || len(pts) != 0 {
		t.Errorf("no metrics: %v %v", pts, err)
	}
	if list, err := b.Artifacts(); err != nil || len(list) != 0 {
		t.Errorf("no artifacts: %v %v", list, err)
	}
}

// A DB sees what is recorded after it was opened.
func TestSeesNewWrites(t *testing.T) {
	dir := testrepo.New(t)
	st := testrepo.Open(t, dir)
	db, err := results.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	testrepo.Record(t, st, testrepo.Run{Name: "one", Results: `{"acc": 1}`})
	if exps, _ := db.Find(ctx, results.Filter{}); names(exps) != "one" {
		t.Fatalf("got %s", names(exps))
	}
	testrepo.Record(t, st, testrepo.Run{Name: "two", Results: `{"acc": 2}`})
	if exps, _ := db.Find(ctx, results.Filter{}, results.Sort("-acc")); names(exps) != "two one" {
		t.Fatalf("got %s", names(exps))
	}
	// Results handed out are the caller's: changing them changes nothing in the DB.
	exps, _ := db.Find(ctx, results.Filter{})
	exps[0].Tags = append(exps[0].Tags, "x")
	exps[0].Results["acc"] = 0
	again, _ := db.Find(ctx, results.Filter{}, results.Sort("-acc"))
	if names(again) != "two one" || len(again[0].Tags) != 0 {
		t.Errorf("the DB's copy changed: %s %v", names(again), again[0].Tags)
	}
}
