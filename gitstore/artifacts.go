package gitstore

import (
	"context"
	"strconv"
	"strings"
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
