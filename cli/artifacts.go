package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
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
	arts, err := listArtifacts(ctx, st, e.ID)
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
		if err := extractAll(ctx, st, arts, c.Output); err != nil {
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

func listArtifacts(ctx context.Context, st *gitstore.Store, id string) ([]artifact, error) {
	return st.Artifacts(ctx, id)
}

// extractAll writes artifacts under dir (created) through an os.Root, so that nothing — a stored symlink, a link
// already in dir — can make a write land outside dir; paths git refuses (a .git component, "..") and paths that
// lead through a symlink are refused before anything is written.
func extractAll(ctx context.Context, st *gitstore.Store, arts []artifact, dir string) error {
	for _, a := range arts {
		if err := gitstore.CheckArtifactPath(a.Path, a.Mode == gitstore.ModeSymlink); err != nil {
			return fmt.Errorf("refusing to extract into %s: %v", dir, err)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	for _, a := range arts {
		if err := extract(ctx, st, root, a); err != nil {
			return fmt.Errorf("extracting %s into %s: %w", a.Path, dir, err)
		}
	}
	return nil
}

// extract writes one artifact inside root. Like git's checkout, it never writes through a symlink on the way: a
// directory of the path that is a symlink is an error, and a symlink at the path itself is replaced.
func extract(ctx context.Context, st *gitstore.Store, root *os.Root, a artifact) error {
	name := filepath.FromSlash(a.Path)
	parts := strings.Split(a.Path, "/")
	for i := 1; i < len(parts); i++ {
		dir := filepath.FromSlash(strings.Join(parts[:i], "/"))
		fi, err := root.Lstat(dir)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if err := root.Mkdir(dir, 0o755); err != nil {
				return err
			}
		case err != nil:
			return err
		case fi.Mode()&fs.ModeSymlink != 0:
			return fmt.Errorf("%s is a symbolic link: refusing to write through it", strings.Join(parts[:i], "/"))
		case !fi.IsDir():
			return fmt.Errorf("%s is a file, not a directory", strings.Join(parts[:i], "/"))
		}
	}
	if fi, err := root.Lstat(name); err == nil && (fi.Mode()&fs.ModeSymlink != 0 || a.Mode == gitstore.ModeSymlink) {
		if err := root.Remove(name); err != nil {
			return err
		}
	}
	rc, err := st.StreamBlob(ctx, a.OID)
	if err != nil {
		return err
	}
	defer rc.Close()
	if a.Mode == gitstore.ModeSymlink {
		target, err := io.ReadAll(io.LimitReader(rc, 4096))
		if err != nil {
			return err
		}
		return root.Symlink(string(target), name)
	}
	perm := os.FileMode(0o644)
	if a.Mode == gitstore.ModeExec {
		perm = 0o755
	}
	f, err := root.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, rc); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeFileFrom writes what r holds to the file dst (created or truncated, with perm when created).
func writeFileFrom(dst string, perm os.FileMode, r io.Reader) error {
	f, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
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
