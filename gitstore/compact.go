package gitstore

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Compaction (git exp compact) drops, from this repository, the data of removed experiments: those with a `delete`
// note. A new commit on top that removed their directories would not be enough — the data would stay reachable
// through the history, and git gc keeps what is reachable — so compaction writes a new history instead:
//
//   - the store's root commit (the same deterministic commit every store begins with, so the new history still
//     shares a merge base with every clone's, compacted or not);
//   - on top of it, one commit whose tree is the current tip's tree minus the removed experiments' data, with the
//     snapshot commits of every remaining experiment as extra parents, so gc, push and fetch keep their code (when
//     there are many snapshots they are spread over a short chain of commits with the same tree, at most
//     maxSnapshotParents each);
//   - then refs/experiments/main moves from the old tip to the new one with compare-and-swap (a writer that moved it
//     meanwhile makes compaction fail, changing nothing).
//
// Tombstones: a removed experiment keeps its notes/ directory (its delete note, and any other edit) and nothing
// else. A clone or remote that still has the experiment's data brings the directory back on the next merge (merges
// are unions), but the delete note comes with the merge result, so the experiment stays removed, never resurrected
// into listings; compacting again drops the returned data. The history of a remote keeps the data until that
// remote is compacted too (git exp compact there).
//
// Fetched copies of remotes' stores (refs/experiments/remotes/*) hold the old history, so they are deleted (the
// next git exp fetch or pull recreates them), and the reflog of refs/experiments/main, when there is one, is
// expired; after that, `git gc --prune=now` frees the space.

// maxSnapshotParents bounds the parents of one compaction commit.
const maxSnapshotParents = 500

// CompactPlan is what Compact will do, computed from one tip.
type CompactPlan struct {
	Tip        string   // the tip the plan was made from
	Removed    []string // removed experiments whose data will be dropped (they keep a tombstone)
	Kept       int      // experiments kept whole
	Snapshots  []string // snapshot commits of the kept experiments that will stay reachable
	Missing    int      // kept experiments' snapshot commits that are not in this repository (left out)
	RemoteRefs []string // fetched copies of remotes' stores, which still hold the old history: deleted
	Commits    int      // commits on the branch before (for the message)
}

// ErrStoreMoved is returned by Compact when the store's tip is no longer the plan's.
var ErrStoreMoved = errors.New("refs/experiments/main moved since the plan was made: nothing was changed, run it again")

// PlanCompact computes what Compact would do. Nothing is written.
func (s *Store) PlanCompact(ctx context.Context) (*CompactPlan, error) {
	tip, tree, err := s.TipTree()
	if err != nil || tip == "" {
		return &CompactPlan{}, err
	}
	exps, err := s.Experiments()
	if err != nil {
		return nil, err
	}
	if cur, err := s.Tip(); err != nil || cur != tip {
		return nil, ErrStoreMoved
	}
	p := &CompactPlan{Tip: tip}
	tx := &Tx{s: s, root: &node{oid: tree}, Tip: tip}
	snaps := map[string]bool{}
	for _, e := range exps {
		if !e.Deleted {
			p.Kept++
			if sn := e.Git.Snapshot; sn != "" && !snaps[sn] {
				snaps[sn] = true
				p.Snapshots = append(p.Snapshots, sn)
			}
			continue
		}
		ents, err := tx.List(ExpPath(e.ID))
		if err != nil {
			return nil, err
		}
		for _, en := range ents {
			if en.Name != "notes" {
				p.Removed = append(p.Removed, e.ID)
				break
			}
		}
	}
	sort.Strings(p.Removed)
	sort.Strings(p.Snapshots)
	if len(p.Snapshots) > 0 {
		objs, err := s.cat.GetMany(p.Snapshots)
		if err != nil {
			return nil, err
		}
		kept := p.Snapshots[:0]
		for i, o := range objs {
			if o.Type == "commit" {
				kept = append(kept, p.Snapshots[i])
			} else {
				p.Missing++
			}
		}
		p.Snapshots = kept
	}
	out, err := s.Git.Run(ctx, "for-each-ref", "--format=%(refname)", "refs/experiments/remotes/")
	if err != nil {
		return nil, err
	}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l != "" {
			p.RemoteRefs = append(p.RemoteRefs, l)
		}
	}
	if out, err := s.Git.Run(ctx, "rev-list", "--count", "--first-parent", tip); err == nil {
		fmt.Sscan(strings.TrimSpace(string(out)), &p.Commits)
	}
	return p, nil
}

// Compact carries out a plan (see the comment at the top of this file) and returns the new tip. It fails with
// ErrStoreMoved, changing nothing, when the store moved since the plan was made.
func (s *Store) Compact(ctx context.Context, p *CompactPlan) (string, error) {
	tip, tree, err := s.TipTree()
	if err != nil {
		return "", err
	}
	if tip != p.Tip || tip == "" {
		return "", ErrStoreMoved
	}
	tx := &Tx{s: s, root: &node{oid: tree}, Tip: tip}
	if err := s.CheckVersion(tx); err != nil {
		return "", err
	}
	for _, id := range p.Removed {
		ents, err := tx.List(ExpPath(id))
		if err != nil {
			return "", err
		}
		for _, en := range ents {
			if en.Name != "notes" {
				if err := tx.Remove(ExpPath(id) + "/" + en.Name); err != nil {
					return "", err
				}
			}
		}
	}
	newTree, err := tx.write(tx.root)
	if err != nil {
		return "", err
	}
	commit, err := s.rootCommit()
	if err != nil {
		return "", err
	}
	snaps := p.Snapshots
	for first := true; first || len(snaps) > 0; first = false {
		n := min(len(snaps), maxSnapshotParents)
		msg := fmt.Sprintf("compact: drop the data of %d removed experiment(s), keep %d", len(p.Removed), p.Kept)
		if len(snaps) > n {
			msg = fmt.Sprintf("compact: keep %d snapshot(s)", n)
		}
		if commit, err = s.WriteCommit(newTree, append([]string{commit}, snaps[:n]...), msg); err != nil {
			return "", err
		}
		snaps = snaps[n:]
	}
	if err := s.UpdateRef(ctx, s.Ref, commit, tip, "git-exp: compact"); err != nil {
		if errors.Is(err, errCASFailed) {
			return "", ErrStoreMoved
		}
		return "", err
	}
	if err := s.ensureComplete([]string{commit}); err != nil {
		return commit, err
	}
	for _, ref := range p.RemoteRefs {
		if _, err := s.Git.Run(ctx, "update-ref", "-d", ref); err != nil {
			return commit, fmt.Errorf("compacted, but could not delete %s (it still holds the removed data): %v", ref, err)
		}
	}
	if _, err := s.Git.Run(ctx, "reflog", "exists", s.Ref); err == nil {
		if _, err := s.Git.Run(ctx, "reflog", "expire", "--expire=now", "--expire-unreachable=now", s.Ref); err != nil {
			return commit, fmt.Errorf("compacted, but could not expire the reflog of %s (it still holds the removed data): %v", s.Ref, err)
		}
	}
	return commit, nil
}
