package gitstore

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/git-exp/git-exp/internal/gitcmd"
)

// FsckReport is what `git exp fsck` found in the store.
type FsckReport struct {
	Tip        string
	Missing    []string // objects reachable from the tip that the repository does not have ("" when the walk stopped)
	WalkError  string   // why the walk of the tip failed (a missing commit or tree), "" when it completed
	Version    string   // content of VERSION ("" when absent)
	BadFiles   []string // manifests and batch files that do not parse: "path: reason"
	Manifests  int
	ReflogSize int
}

// OK reports whether the store is whole.
func (r *FsckReport) OK() bool {
	return r.WalkError == "" && len(r.Missing) == 0 && len(r.BadFiles) == 0 &&
		(r.Tip == "" || r.Version == fmt.Sprint(FormatVersion))
}

// Fsck checks the store at its tip: every object reachable from it exists, VERSION is one this git-exp reads,
// and every experiment.json and batch manifest parses.
func (s *Store) Fsck(ctx context.Context) (*FsckReport, error) {
	rep := &FsckReport{}
	tip, err := s.Tip()
	if err != nil {
		return nil, err
	}
	rep.Tip = tip
	rep.ReflogSize = len(s.Reflog())
	if tip == "" {
		return rep, nil
	}
	_, missing, werr := s.walk(ctx, tip)
	rep.Missing = missing
	if werr != nil {
		rep.WalkError = werr.Error()
		return rep, nil
	}
	tree, err := s.treeOf(tip)
	if err != nil {
		return nil, err
	}
	flat := s.flatten(tree)
	if _, ok := flat["VERSION"]; !ok { // the listing stopped at a missing tree: VERSION is read from the root
		if root, err := s.readTree(tree); err == nil {
			if e, ok := findEntry(root, "VERSION"); ok {
				flat["VERSION"] = e.OID
			}
		}
	}
	var names, oids []string
	for p, oid := range flat {
		switch {
		case p == "VERSION", strings.HasSuffix(p, "/experiment.json") && strings.Count(p, "/") == 2,
			strings.HasPrefix(p, "batches/") && strings.HasSuffix(p, ".json"):
			names, oids = append(names, p), append(oids, oid)
		}
	}
	objs, err := s.cat.GetMany(oids)
	if err != nil {
		return nil, err
	}
	for i, o := range objs {
		if o.Type == "" {
			continue // counted as missing
		}
		if names[i] == "VERSION" {
			rep.Version = strings.TrimSpace(string(o.Data))
			continue
		}
		if strings.HasSuffix(names[i], "/experiment.json") {
			rep.Manifests++
			var m Manifest
			if err := json.Unmarshal(o.Data, &m); err != nil {
				rep.BadFiles = append(rep.BadFiles, names[i]+": "+err.Error())
			} else if dir := strings.Split(names[i], "/"); m.ID != dir[1] {
				rep.BadFiles = append(rep.BadFiles, fmt.Sprintf("%s: records id %q", names[i], m.ID))
			}
			continue
		}
		var b Batch
		if err := json.Unmarshal(o.Data, &b); err != nil {
			rep.BadFiles = append(rep.BadFiles, names[i]+": "+err.Error())
		}
	}
	sort.Strings(rep.BadFiles)
	return rep, nil
}

// walk lists every object reachable from the commit rev (the whole history, snapshots included) by the path where it
// was first seen, and the missing ones. An error means the walk could not go on (a missing commit or tree).
func (s *Store) walk(ctx context.Context, rev string) (paths map[string]string, missing []string, err error) {
	out, err := s.Git.Run(ctx, "rev-list", "--objects", "--missing=print", rev)
	if err != nil {
		return nil, nil, fmt.Errorf("history of %s cannot be read: %s", rev, firstLine(err))
	}
	paths = map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if m, ok := strings.CutPrefix(line, "?"); ok {
			missing = append(missing, m)
			continue
		}
		oid, path, _ := strings.Cut(line, " ")
		if path != "" {
			if _, seen := paths[oid]; !seen {
				paths[oid] = path
			}
		}
	}
	sort.Strings(missing)
	return paths, missing, sc.Err()
}

func firstLine(err error) string {
	msg := err.Error()
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	return msg
}

// complete reports whether every object reachable from commit exists.
func (s *Store) complete(ctx context.Context, commit string) bool {
	_, missing, err := s.walk(ctx, commit)
	return err == nil && len(missing) == 0
}

// ReflogEntry is one line of the store's reflog.
type ReflogEntry struct {
	Old, New, Message, When string
}

// Reflog returns the store's reflog, newest first (git's own file format, logs/<ref>).
func (s *Store) Reflog() []ReflogEntry {
	data, err := os.ReadFile(filepath.Join(s.CommonDir, "logs", filepath.FromSlash(s.Ref)))
	if err != nil {
		return nil
	}
	var out []ReflogEntry
	for _, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		head, msg, _ := strings.Cut(line, "\t")
		f := strings.Fields(head)
		if len(f) < 5 || len(f[0]) != s.HexLen() || len(f[1]) != s.HexLen() {
			continue
		}
		out = append(out, ReflogEntry{Old: f[0], New: f[1], Message: msg, When: f[len(f)-2]})
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// RepairReport says what `git exp fsck --repair` did.
type RepairReport struct {
	From, To  string   // the ref moved from the broken tip to this complete state
	Steps     int      // how many reflog states back
	Recovered []string // "id: files" re-recorded from newer states
	Lost      []string // what could not be recovered, one item each
}

// Repair moves the ref back to the newest complete state in its reflog (or its first-parent history) and records
// again, from the newer broken states, every experiment file whose objects still exist. Lost lists the rest.
func (s *Store) Repair(ctx context.Context) (*RepairReport, error) {
	tip, err := s.Tip()
	if err != nil {
		return nil, err
	}
	if tip == "" {
		return nil, fmt.Errorf("there is no %s to repair", s.Ref)
	}
	rep := &RepairReport{From: tip}
	// Candidates, newest first: the tip, then each earlier state of the reflog.
	var states []string
	seen := map[string]bool{}
	what := map[string]string{} // state -> the reflog message that recorded it
	add := func(c, msg string) {
		if c != "" && c != s.ZeroOID() && !seen[c] {
			seen[c] = true
			states = append(states, c)
			what[c] = msg
		}
	}
	add(tip, "")
	for _, e := range s.Reflog() {
		if what[e.New] == "" {
			what[e.New] = e.Message
		}
		add(e.New, e.Message)
		add(e.Old, "")
	}
	label := func(c string) string {
		if what[c] != "" {
			return fmt.Sprintf("the state %s (%s)", c[:10], what[c])
		}
		return "the state " + c[:10]
	}
	good := ""
	for i, c := range states {
		if s.complete(ctx, c) {
			good, rep.Steps = c, i
			break
		}
	}
	if good == "" {
		if out, err := s.Git.Run(ctx, "rev-list", "--first-parent", "--ignore-missing", tip); err == nil {
			for _, c := range strings.Fields(string(out)) {
				if !seen[c] && s.complete(ctx, c) {
					good = c
					break
				}
			}
		}
	}
	if good == "" {
		return nil, fmt.Errorf("no complete state of %s found in its reflog or history: nothing to go back to", s.Ref)
	}
	rep.To = good
	if good == tip {
		return rep, nil
	}
	newer := states[:rep.Steps]
	goodTree, err := s.treeOf(good)
	if err != nil {
		return nil, err
	}
	// What each newer state holds that the complete one does not, newest state first: each experiment file is taken
	// from the newest state that has it whole.
	type pick struct {
		entry TreeEntry
		from  string
	}
	picks := map[string]pick{}  // path in the store -> entry
	lost := map[string]string{} // path -> why
	var snapshots []string
	goodEnts := s.flatten(goodTree)
	for _, c := range newer {
		tree, err := s.treeOf(c)
		if err != nil {
			lost[label(c)] = "its commit is missing"
			continue
		}
		root, err := s.readTree(tree)
		if err != nil {
			lost[label(c)] = "its tree is missing"
			continue
		}
		for _, fan := range root {
			if !fan.isTree() || len(fan.Name) != 2 {
				continue
			}
			exps, err := s.readTree(fan.OID)
			if err != nil {
				lost[fan.Name+"/"] = "directory missing"
				continue
			}
			for _, x := range exps {
				if !x.isTree() {
					continue
				}
				dir := fan.Name + "/" + x.Name
				files, err := s.readTree(x.OID)
				if err != nil {
					lost[dir+"/"] = "directory missing"
					continue
				}
				for _, f := range files {
					p := dir + "/" + f.Name
					if _, done := picks[p]; done || goodEnts[p] == f.OID {
						continue
					}
					if f.isTree() && !s.completeTree(ctx, f.OID) || !f.isTree() && !s.has(f.OID) {
						if _, ok := lost[p]; !ok {
							lost[p] = "object " + f.OID + " missing"
						}
						continue
					}
					picks[p] = pick{entry: f, from: c}
					delete(lost, p)
					if f.Name == "experiment.json" {
						if obj, err := s.get(f.OID); err == nil {
							var m Manifest
							if json.Unmarshal(obj.Data, &m) == nil && m.Git.Snapshot != "" {
								if s.snapshotComplete(&Snapshot{Commit: m.Git.Snapshot, Info: m.Git}) {
									snapshots = append(snapshots, m.Git.Snapshot)
								} else {
									lost[dir+" snapshot "+m.Git.Snapshot] = "its code is incomplete; checkout and rerun of it will fail"
								}
							}
						}
					}
				}
			}
		}
	}
	// Files lost in one state but whole in the complete one need nothing.
	for p := range lost {
		if _, ok := goodEnts[p]; ok {
			delete(lost, p)
		}
	}
	if err := s.UpdateRef(ctx, s.Ref, good, tip, "git-exp: fsck --repair: back to a complete state"); err != nil {
		if err == errCASFailed {
			return nil, fmt.Errorf("%s moved while being repaired: run git exp fsck --repair again", s.Ref)
		}
		return nil, err
	}
	if len(picks) > 0 {
		paths := make([]string, 0, len(picks))
		for p := range picks {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		err := s.Update(ctx, "fsck --repair: record again what survived", func(tx *Tx) error {
			for _, p := range paths {
				if err := tx.Put(p, picks[p].entry); err != nil {
					return err
				}
			}
			tx.ExtraParents = snapshots[:min(len(snapshots), maxSnapshotParents)]
			return nil
		})
		if err != nil {
			return nil, err
		}
		byExp := map[string][]string{}
		for _, p := range paths {
			parts := strings.SplitN(p, "/", 3)
			byExp[parts[1]] = append(byExp[parts[1]], parts[2])
		}
		for id, files := range byExp {
			rep.Recovered = append(rep.Recovered, id[:7]+": "+strings.Join(files, ", "))
		}
		sort.Strings(rep.Recovered)
	}
	// The reflog entries of the broken states would keep `git fsck` reporting their missing objects: drop them.
	if _, err := s.Git.Run(ctx, "reflog", "expire", "--stale-fix", "--expire=never", "--expire-unreachable=never", s.Ref); err != nil {
		gitcmd.Tracef("fsck: reflog expire --stale-fix: %v", err)
	}
	for p, why := range lost {
		rep.Lost = append(rep.Lost, p+" ("+why+")")
	}
	sort.Strings(rep.Lost)
	return rep, nil
}

func (s *Store) treeOf(commit string) (string, error) {
	obj, err := s.get(commit)
	if err != nil {
		return "", err
	}
	return commitTree(obj.Data)
}

func (s *Store) has(oid string) bool {
	m, err := s.missingObjects([]string{oid})
	return err == nil && len(m) == 0
}

func (s *Store) completeTree(ctx context.Context, tree string) bool {
	out, err := s.Git.Run(ctx, "rev-list", "--objects", "--missing=print", "--no-object-names", tree)
	return err == nil && !bytes.Contains(out, []byte("?"))
}

// flatten maps "xx/id/file" to its object id for every experiment file of a tree.
func (s *Store) flatten(tree string) map[string]string {
	out := map[string]string{}
	data, err := s.Git.Run(context.Background(), "ls-tree", "-r", "-t", "--full-tree", tree)
	if err != nil {
		gitcmd.Tracef("fsck: cannot list %s: %v", tree, err)
		return out
	}
	for _, line := range strings.Split(string(data), "\n") {
		meta, path, ok := strings.Cut(line, "\t")
		if !ok {
			continue
		}
		f := strings.Fields(meta)
		if len(f) == 3 && (strings.Count(path, "/") == 2 || path == "VERSION" || strings.HasPrefix(path, "batches/")) {
			out[path] = f[2]
		}
	}
	return out
}
