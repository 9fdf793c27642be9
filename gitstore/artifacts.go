package gitstore

import (
	"context"
	"io"
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
	out, err := s.Git.Run(ctx, "ls-tree", "-r", "-l", "-z", tree+":"+ExpPath(id)+"/artifacts")
	if err != nil {
		return nil, nil // no artifacts directory
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
