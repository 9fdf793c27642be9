package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/importer"
)

// ImportCmd brings runs of other tools into the store.
type ImportCmd struct {
	Yanex       ImportYanexCmd       `cmd:"" help:"Import yanex experiments (default: $YANEX_EXPERIMENTS_DIR, else ~/.yanex/experiments)."`
	MLflow      ImportMLflowCmd      `cmd:"" name:"mlflow" help:"Import the runs of an MLflow file store (default: ./mlruns)."`
	TensorBoard ImportTensorBoardCmd `cmd:"" name:"tensorboard" help:"Import TensorBoard logs: each directory with event files is one run."`
}

// importFlags are common to every source.
type importFlags struct {
	DryRun bool     `name:"dry-run" short:"n" help:"Print what would be imported (one line a run) and write nothing."`
	Tag    []string `sep:"none" short:"t" placeholder:"TAG" help:"Tag every imported experiment. Repeatable."`
}

// ImportYanexCmd implements git exp import yanex.
type ImportYanexCmd struct {
	Dir string `arg:"" optional:"" help:"The yanex experiments directory."`
	importFlags
}

// Run implements git exp import yanex.
func (c *ImportYanexCmd) Run(ctx context.Context, env *Env) error {
	dir := c.Dir
	if dir == "" {
		dir = importer.DefaultYanexDir(func(k string) string {
			if k == "HOME" {
				h, _ := os.UserHomeDir()
				return h
			}
			return os.Getenv(k)
		})
	}
	return runImport(ctx, env, &importer.Yanex{Root: dir}, dir, c.importFlags)
}

// ImportMLflowCmd implements git exp import mlflow.
type ImportMLflowCmd struct {
	Dir            string `arg:"" optional:"" default:"mlruns" help:"The MLflow file store (the mlruns directory)."`
	IncludeDeleted bool   `name:"include-deleted" help:"Import deleted runs and experiments too."`
	importFlags
}

// Run implements git exp import mlflow.
func (c *ImportMLflowCmd) Run(ctx context.Context, env *Env) error {
	return runImport(ctx, env, &importer.MLflow{Root: c.Dir, IncludeDeleted: c.IncludeDeleted}, c.Dir, c.importFlags)
}

// ImportTensorBoardCmd implements git exp import tensorboard.
type ImportTensorBoardCmd struct {
	Dirs []string `arg:"" help:"Log directories, searched recursively for events.out.tfevents.* files."`
	importFlags
}

// Run implements git exp import tensorboard.
func (c *ImportTensorBoardCmd) Run(ctx context.Context, env *Env) error {
	return runImport(ctx, env, &importer.TensorBoard{Roots: c.Dirs}, strings.Join(c.Dirs, " "), c.importFlags)
}

func runImport(ctx context.Context, env *Env, src importer.Source, where string, f importFlags) error {
	st, err := env.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	var warnings []string
	var bar *mpb.Bar
	var p *mpb.Progress
	opt := importer.Options{
		Tags: f.Tag, DryRun: f.DryRun,
		Warn: func(msg string) { warnings = append(warnings, msg) },
		Start: func(total int) {
			if env.IO.ErrTTY && !f.DryRun && total > 1 {
				// The IO decides what is a terminal (tests inject one), not mpb.
				p = mpb.New(mpb.WithOutput(env.IO.Err), mpb.WithWidth(32), mpb.WithRefreshRate(150*time.Millisecond), mpb.WithAutoRefresh())
				bar = p.AddBar(int64(total),
					mpb.PrependDecorators(decor.Name("importing from "+src.Kind()+" ")),
					mpb.AppendDecorators(decor.CountersNoUnit(" %d/%d"), decor.Elapsed(decor.ET_STYLE_GO, decor.WC{W: 6})),
				)
			}
		},
		Loaded: func(r *importer.Run) {
			if bar != nil {
				bar.Increment()
			}
			if f.DryRun {
				fmt.Fprintf(env.IO.Out, "%s:%s\t%s\t%s\t%d params\t%d points\n", src.Kind(), env.IO.Text(r.ID), env.IO.Text(r.Name), r.Status, len(r.Params), len(r.Metrics))
			}
		},
	}
	sum, err := importer.Import(ctx, st, src, opt)
	if p != nil {
		if err != nil {
			bar.Abort(false)
		}
		p.Wait()
	}
	for _, w := range warnings {
		env.IO.Warnf("git exp: %s", w)
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var ie *importer.InputError
		if errors.As(err, &ie) {
			return &usageError{err.Error() + " (nothing was imported)"}
		}
		return fmt.Errorf("%v (nothing was imported)", err)
	}
	env.IO.Warnf("%s", importSummary(sum, where, f.DryRun)) // escaped on a terminal, like every message
	return nil
}

// importSummary is the one line an import ends with.
func importSummary(s *importer.Summary, where string, dry bool) string {
	var b strings.Builder
	switch {
	case dry:
		fmt.Fprintf(&b, "would import %d %s (%d metric %s) from %s %s", s.Imported, plural(s.Imported, "experiment", "experiments"), s.Points, plural(s.Points, "point", "points"), s.Kind, where)
	case s.Imported == 0:
		fmt.Fprintf(&b, "nothing to import from %s %s", s.Kind, where)
	default:
		fmt.Fprintf(&b, "imported %d %s (%d metric %s) from %s %s in commit %s", s.Imported, plural(s.Imported, "experiment", "experiments"), s.Points, plural(s.Points, "point", "points"), s.Kind, where, s.Commit[:7])
	}
	if s.Already > 0 {
		fmt.Fprintf(&b, "; %d already imported", s.Already)
	}
	for _, n := range s.Notes {
		b.WriteString("; " + n)
	}
	return b.String()
}

// imported reports whether an experiment came from another tool: one imported while it was running has no spool
// here, only what the import stored.
func imported(e *gitstore.Experiment) bool { return e.Extra[importer.ExtraImportedFrom] != "" }
