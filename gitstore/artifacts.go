package gitstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/klauspost/compress/zstd"
)

// Artifact is one stored file of an experiment's artifacts/ directory.
type Artifact struct {
	Path string `json:"path"` // relative to the experiment's $GIT_EXP_OUT, slash-separated
	Size int64  `json:"size"`
	Mode string `json:"mode"` // git's mode: 100644, 100755, 120000 (a symlink)
	OID  string `json:"-"`
}

// Artifacts lists an experiment's stored artifacts, sorted by path (git's tree order); none when it has none.
func (s *Store) Artifacts(ctx context.Context, id string) ([]Artifact, error) {
	_, tree, err := s.TipTree()
	if err != nil || tree == "" {
		return nil, err
	}
	dir, ok, err := s.treePath(tree, ExpPath(id)+"/artifacts")
	if err != nil { // a tree on the way is missing from the object store: not "no artifacts"
		return nil, err
	}
	if !ok || !dir.isTree() {
		return nil, nil // no artifacts directory
	}
	out, err := s.Git.Run(ctx, "ls-tree", "-r", "-l", "-z", dir.OID)
	if err != nil {
		return nil, fmt.Errorf("the artifacts of %s cannot be read (%v); %s", id, err, damageHelp)
	}
	var arts []Artifact
	for _, rec := range strings.Split(string(out), "\x00") {
		meta, name, ok := strings.Cut(rec, "\t")
		if !ok {
			continue
		}
		f := strings.Fields(meta)
		if len(f) != 4 {
			continue
		}
		size, _ := strconv.ParseInt(f[3], 10, 64)
		arts = append(arts, Artifact{Path: name, Size: size, Mode: f[0], OID: f[2]})
	}
	return arts, nil
}

// ExtractArtifacts writes artifacts under dir (created) through an os.Root, so that nothing — a stored symlink, a link
// already in dir — can make a write land outside dir; paths git refuses (a .git component, "..") and paths that
// lead through a symlink are refused before anything is written.
func (s *Store) ExtractArtifacts(ctx context.Context, arts []Artifact, dir string) error {
	for _, a := range arts {
		if err := CheckArtifactPath(a.Path, a.Mode == ModeSymlink); err != nil {
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
		if err := s.extract(ctx, root, a); err != nil {
			return fmt.Errorf("extracting %s into %s: %w", a.Path, dir, err)
		}
	}
	return nil
}

// extract writes one artifact inside root. Like git's checkout, it never writes through a symlink on the way: a
// directory of the path that is a symlink is an error, and a symlink at the path itself is replaced.
func (s *Store) extract(ctx context.Context, root *os.Root, a Artifact) error {
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
	if fi, err := root.Lstat(name); err == nil && (fi.Mode()&fs.ModeSymlink != 0 || a.Mode == ModeSymlink) {
		if err := root.Remove(name); err != nil {
			return err
		}
	}
	rc, err := s.StreamBlob(ctx, a.OID)
	if err != nil {
		return err
	}
	defer rc.Close()
	if a.Mode == ModeSymlink {
		target, err := io.ReadAll(io.LimitReader(rc, 4096))
		if err != nil {
			return err
		}
		return root.Symlink(string(target), name)
	}
	perm := os.FileMode(0o644)
	if a.Mode == ModeExec {
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

// BatchCounts counts the experiments of each batch by status: batch id → status → count.
func BatchCounts(exps []*Experiment) map[string]map[string]int {
	counts := map[string]map[string]int{}
	for _, e := range exps {
		if e.Batch == "" {
			continue
		}
		if counts[e.Batch] == nil {
			counts[e.Batch] = map[string]int{}
		}
		counts[e.Batch][e.Status]++
	}
	return counts
}

// OpenLog streams a stored zstd-compressed log of an experiment (stdout.zst, stderr.zst) through `git cat-file
// blob` and a decoder, decompressed and never whole in memory; ok is false when the experiment has no such file.
func (s *Store) OpenLog(ctx context.Context, id, name string) (rc io.ReadCloser, ok bool, err error) {
	blob, ok, err := s.OpenFile(ctx, id, name)
	if err != nil || !ok {
		return nil, ok, err
	}
	dec, err := zstd.NewReader(blob, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
	if err != nil {
		blob.Close()
		return nil, false, err
	}
	return &zstdReader{dec: dec, blob: blob}, true, nil
}

type zstdReader struct {
	dec  *zstd.Decoder
	blob io.ReadCloser
}

func (r *zstdReader) Read(p []byte) (int, error) { return r.dec.Read(p) }

func (r *zstdReader) Close() error {
	r.dec.Close()
	// The blob reader's process may end with a broken pipe when the log was not read to the end: not an error
	// the caller can act on.
	r.blob.Close()
	return nil
}
