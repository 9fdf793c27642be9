package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/git-exp/git-exp/value"
)

// ShowCmd shows one experiment.
type ShowCmd struct {
	ID   string `arg:"" help:"Experiment id, id prefix or name."`
	JSON bool   `name:"json" help:"Print the manifest with params and results as JSON."`
}

// Run implements git exp show.
func (c *ShowCmd) Run(ctx context.Context, env *Env) (err error) {
	shortReader()
	st, e, err := env.openOne(ctx, c.ID)
	if err != nil {
		return err
	}
	defer st.Close()
	// Read whole from the store, not from the listing's cache: objects gone since the cache was written are found
	// (and said) here, and the values the cache cut are whole.
	f, err := st.Load(e.ID)
	if err != nil {
		return err
	}
	f.ShortID, e = e.ShortID, f
	if st.Damage().Has(e.ID) { // shown without what is missing (its error says what), warned of on stderr
		defer func() {
			if err == nil {
				err = &exitError{1}
			}
		}()
	}
	if c.JSON {
		_, err := env.IO.Out.Write(value.Indent(docJSON(e, e.ID[:7])))
		return err
	}
	w := env.IO.Out
	title := e.ID
	if e.Name != "" {
		title += "  " + e.Name
	}
	fmt.Fprintf(w, "experiment %s\n", env.IO.Text(title))
	status := colorStatus(env.IO, env.IO.Text(e.Status))
	if e.ExitCode != nil {
		status += fmt.Sprintf(" (exit %d)", *e.ExitCode)
	}
	if e.DurationS > 0 {
		status += " in " + humanDuration(e.DurationS)
	}
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "%-12s %s\n", k+":", env.IO.Text(v))
		}
	}
	fmt.Fprintf(w, "%-12s %s\n", "status:", status) // escaped before it was coloured
	line("error", e.Error)
	line("command", strings.Join(e.Argv, " "))
	line("created", e.Created+" ("+relTime(e.Created)+")")
	line("ended", e.Ended)
	line("tags", strings.Join(e.Tags, ", "))
	line("description", e.Description)
	line("by", strings.TrimSpace(e.User+" on "+e.Host))
	if e.Archived {
		line("archived", "yes")
	}
	line("batch", e.Batch)
	if e.Attempt > 1 {
		line("attempt", strconv.Itoa(e.Attempt))
	}
	line("parent", e.Parent)
	g := e.Git
	gitLine := g.Branch
	if g.Head != "" {
		gitLine += " @ " + g.Head[:min(10, len(g.Head))]
	}
	if g.Dirty {
		gitLine += " (with uncommitted changes)"
	}
	line("git", strings.TrimSpace(gitLine))
	if g.Snapshot != "" {
		line("snapshot", g.Snapshot)
	}
	if len(g.Skipped) > 0 {
		line("left out", strings.Join(g.Skipped, ", "))
	}
	if job := e.Extra["slurm_job_id"]; job != "" {
		line("slurm job", job)
	}
	if params := decodeTree(e.ParamsJSON); len(params) > 0 {
		fmt.Fprintln(w, "params:")
		printTree(env.IO, w, params, "  ")
	} else {
		fmt.Fprintln(w, "params:     (none)")
	}
	if res := decodeTree(e.ResultsJSON); len(res) > 0 {
		fmt.Fprintln(w, "results:")
		printTree(env.IO, w, res, "  ")
	}
	return nil
}
