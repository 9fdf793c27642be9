package cli

import (
	"context"
	"fmt"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/git-exp/git-exp/gitstore"
)

// ArtifactsCmd lists or extracts an experiment's artifacts.
type ArtifactsCmd struct {
	ID     string   `arg:"" help:"Experiment id, id prefix or name."`
	Paths  []string `arg:"" optional:"" help:"Only these files or directories."`
	Output string   `short:"o" placeholder:"DIR" help:"Extract into DIR (created) instead of listing."`
	JSON   bool     `name:"json" help:"List as JSON: [{path, size, mode}]."`
}

type artifact = gitstore.Artifact

// Run implements git exp artifacts.
func (c *ArtifactsCmd) Run(ctx context.Context, env *Env) error {
	shortReader()
	st, e, err := env.openOne(ctx, c.ID)
	if err != nil {
		return err
	}
	defer st.Close()
	arts, err := st.Artifacts(ctx, e.ID)
	if err != nil {
		return err
	}
	if len(c.Paths) > 0 {
		var keep []artifact
		matched := map[string]bool{}
		for _, a := range arts {
			for _, p := range c.Paths {
				p = strings.Trim(path.Clean(filepath.ToSlash(p)), "/")
				if a.Path == p || strings.HasPrefix(a.Path, p+"/") || p == "." {
					keep = append(keep, a)
					matched[p] = true
					break
				}
			}
		}
		for _, p := range c.Paths {
			if !matched[strings.Trim(path.Clean(filepath.ToSlash(p)), "/")] {
				return usagef("%s has no artifact %s (see git exp artifacts %s)", e.ID[:7], p, e.ID[:7])
			}
		}
		arts = keep
	}
	if c.Output != "" {
		if err := st.ExtractArtifacts(ctx, arts, c.Output); err != nil {
			return err
		}
		fmt.Fprintf(env.IO.Err, "extracted %d file(s) into %s\n", len(arts), c.Output)
		return nil
	}
	if c.JSON {
		if arts == nil {
			arts = []artifact{}
		}
		return writeJSON(env.IO.Out, arts)
	}
	if len(arts) == 0 {
		fmt.Fprintf(env.IO.Err, "%s has no artifacts\n", e.ID[:7])
		return nil
	}
	rows := make([][]string, len(arts))
	for i, a := range arts {
		size := strconv.FormatInt(a.Size, 10)
		if env.IO.OutTTY {
			size = humanBytes(a.Size)
		}
		rows[i] = []string{a.Path, size}
	}
	return table(env.IO, []string{"PATH", "SIZE"}, rows)
}

// humanBytes is a size for a terminal: 512 B, 1.5 KiB, 20 MiB.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	v := float64(n) / float64(div)
	if v < 10 {
		return fmt.Sprintf("%.1f %ciB", v, "KMGTPE"[exp])
	}
	return fmt.Sprintf("%.0f %ciB", v, "KMGTPE"[exp])
}
