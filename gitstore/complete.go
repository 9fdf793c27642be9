package gitstore

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// CompletionIndex is what shell completion offers from the store: experiment ids and names, tags, batch ids and the
// keys of parameters and results. It is a small text file under the git dir (exp/complete-v1), rebuilt from the
// listing cache when the store's tip moved, so that a TAB reads one file of a few megabytes at 100,000 experiments
// instead of the whole cache.
type CompletionIndex struct {
	exps    string // "e\tID\tSHORT\tNAME\n" lines, newest first, read by EachExp without splitting them up front
	Tags    []string
	Batches []string // batch ids, newest first
	Keys    []string // parameter keys (dotted) and results.KEY
}

// CompletionExp is one experiment as completion offers it.
type CompletionExp struct {
	ID, ShortID, Name string
}

// EachExp calls f for every experiment, newest first, until f returns false.
func (ix *CompletionIndex) EachExp(f func(CompletionExp) bool) {
	rest := ix.exps
	for rest != "" {
		line := rest
		if i := strings.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = ""
		}
		line, ok := strings.CutPrefix(line, "e\t")
		if !ok {
			continue
		}
		id, line, _ := strings.Cut(line, "\t")
		short, name, _ := strings.Cut(line, "\t")
		if !f(CompletionExp{ID: id, ShortID: short, Name: name}) {
			return
		}
	}
}

const completionHeader = "git-exp completion 1 "

func (r *Repo) completionPath() string {
	return filepath.Join(r.CommonDir, "exp", "complete-v1")
}

// LoadCompletion returns the completion index of the repository around dir. When the store moved since the index
// was written, the index is returned as it is with stale true (a TAB must answer at once: the caller brings it up
// to date in the background with RebuildCompletionIn); only a repository without any index waits for one.
func LoadCompletion(ctx context.Context, dir string) (ix *CompletionIndex, stale bool, err error) {
	// A TAB first tries without starting git (two processes cost more than the whole answer): the git dir found
	// as git finds it in the common case, the ref read as a file. Anything unusual takes git's own way.
	if r, ok := findGitDir(dir); ok {
		if tip, err := r.ReadRef(Ref); err == nil && tip != "" {
			if data, err := os.ReadFile(r.completionPath()); err == nil {
				if ix, fresh, ok := parseCompletion(data, tip); ok {
					return ix, !fresh, nil
				}
			}
		}
	}
	r, err := OpenRepo(ctx, dir)
	if err != nil {
		return nil, false, err
	}
	tip, err := r.ReadRef(Ref)
	if err != nil {
		return nil, false, err
	}
	if tip == "" {
		return &CompletionIndex{}, false, nil
	}
	if data, err := os.ReadFile(r.completionPath()); err == nil {
		if ix, fresh, ok := parseCompletion(data, tip); ok {
			return ix, !fresh, nil
		}
	}
	ix, err = rebuildIn(ctx, r)
	return ix, false, err
}

// RebuildCompletionIn brings the completion index of the repository around dir up to date.
func RebuildCompletionIn(ctx context.Context, dir string) error {
	r, err := OpenRepo(ctx, dir)
	if err != nil {
		return err
	}
	_, err = rebuildIn(ctx, r)
	return err
}

func rebuildIn(ctx context.Context, r *Repo) (*CompletionIndex, error) {
	st, err := OpenIn(ctx, r)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	return st.RebuildCompletion()
}

// RebuildCompletion builds the completion index from the listing and writes it.
func (s *Store) RebuildCompletion() (*CompletionIndex, error) {
	tip, err := s.Tip()
	if err != nil {
		return nil, err
	}
	all, err := s.Experiments()
	if err != nil {
		return nil, err
	}
	SortNewest(all)
	ix := &CompletionIndex{}
	var exps strings.Builder
	tags, batches, keys := map[string]bool{}, map[string]bool{}, map[string]bool{}
	live := make([]*Experiment, 0, len(all))
	listed := 0
	for _, e := range all {
		if e.Deleted {
			continue
		}
		exps.WriteString("e\t" + e.ID + "\t" + e.ShortID + "\t" + oneLine(e.Name) + "\n")
		for _, t := range e.Tags {
			if !tags[t] {
				tags[t] = true
				ix.Tags = append(ix.Tags, t)
			}
		}
		if e.Batch != "" && !batches[e.Batch] {
			batches[e.Batch] = true
			ix.Batches = append(ix.Batches, e.Batch)
		}
		listed++
		if listed <= 1000 && len(e.MetricsJSON) > 0 { // metric names: the newest thousand say them all
			var m map[string]json.RawMessage
			if json.Unmarshal(e.MetricsJSON, &m) == nil {
				for k := range m {
					keys["metrics."+k] = true
				}
			}
		}
		live = append(live, e)
	}
	EachKey(live, func(prefix, k string) bool {
		if isKeyish(k) {
			keys[prefix+k] = true
		}
		return true
	})
	sort.Strings(ix.Tags)
	for k := range keys {
		ix.Keys = append(ix.Keys, k)
	}
	sort.Strings(ix.Keys)
	ix.exps = exps.String()
	var b bytes.Buffer
	b.WriteString(completionHeader + tip + "\n")
	for _, t := range ix.Tags {
		b.WriteString("t\t" + oneLine(t) + "\n")
	}
	for _, id := range ix.Batches {
		b.WriteString("b\t" + id + "\n")
	}
	for _, k := range ix.Keys {
		b.WriteString("k\t" + oneLine(k) + "\n")
	}
	b.WriteString(ix.exps) // last: a TAB that wants no experiment reads no further than the lines above
	if os.MkdirAll(filepath.Dir(s.completionPath()), 0o755) == nil {
		writeFileAtomic(filepath.Dir(s.completionPath()), s.completionPath(), b.Bytes())
	}
	return ix, nil
}

// isKeyish reports whether a key is offered for completion (one with spaces or punctuation would not survive the
// shell's word splitting).
func isKeyish(k string) bool {
	for i, c := range k {
		switch {
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '.' || c == '-'):
		default:
			return false
		}
	}
	return true
}

func oneLine(s string) string {
	return strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(s)
}

// parseCompletion reads an index; fresh is whether it was written for tip, ok whether it could be read.
func parseCompletion(data []byte, tip string) (ix *CompletionIndex, fresh, ok bool) {
	text := string(data)
	first, rest, _ := strings.Cut(text, "\n")
	if !strings.HasPrefix(first, completionHeader) || !strings.HasSuffix(text, "\n") {
		return nil, false, false
	}
	fresh = first == completionHeader+tip
	ix = &CompletionIndex{}
	for rest != "" {
		if strings.HasPrefix(rest, "e\t") {
			ix.exps = rest
			break
		}
		line, more, _ := strings.Cut(rest, "\n")
		rest = more
		if len(line) < 2 || line[1] != '\t' {
			continue
		}
		switch f := line[2:]; line[0] {
		case 't':
			ix.Tags = append(ix.Tags, f)
		case 'b':
			ix.Batches = append(ix.Batches, f)
		case 'k':
			ix.Keys = append(ix.Keys, f)
		}
	}
	return ix, fresh, true
}

// findGitDir finds the repository around dir without git, for the common layouts only: a .git directory, or a .git
// file naming the git dir of a worktree (with its commondir). ok is false whenever git's environment could say
// otherwise (GIT_DIR, GIT_COMMON_DIR) or nothing was found: the caller then asks git.
func findGitDir(dir string) (*Repo, bool) {
	if os.Getenv("GIT_DIR") != "" || os.Getenv("GIT_COMMON_DIR") != "" || !filepath.IsAbs(dir) {
		return nil, false
	}
	for d := dir; ; d = filepath.Dir(d) {
		p := filepath.Join(d, ".git")
		if st, err := os.Stat(p); err == nil {
			gitDir := p
			if !st.IsDir() {
				data, err := os.ReadFile(p)
				target, ok := strings.CutPrefix(strings.TrimSpace(string(data)), "gitdir: ")
				if err != nil || !ok {
					return nil, false
				}
				if !filepath.IsAbs(target) {
					target = filepath.Join(d, target)
				}
				gitDir = target
			}
			common := gitDir
			if data, err := os.ReadFile(filepath.Join(gitDir, "commondir")); err == nil {
				c := strings.TrimSpace(string(data))
				if !filepath.IsAbs(c) {
					c = filepath.Join(gitDir, c)
				}
				common = filepath.Clean(c)
			}
			if _, err := os.Stat(filepath.Join(common, "objects")); err != nil {
				return nil, false
			}
			return &Repo{GitDir: gitDir, CommonDir: common, Root: d}, true
		}
		if filepath.Dir(d) == d {
			return nil, false
		}
	}
}
