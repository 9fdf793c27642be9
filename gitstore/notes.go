package gitstore

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
)

// WriteNotes records one edit per experiment (full ids) as an append-only note (notes/<op-id>.json), all in one
// commit, so that edits made in different clones merge as a union. Time, user and host are filled in here.
// The command line's edits and the web UI's go through it.
func (s *Store) WriteNotes(ctx context.Context, ids []string, n Note) error {
	host, _ := os.Hostname()
	user, _ := s.Ident()
	n.Time, n.User, n.Host = Now(), user, host
	type item struct {
		id   string
		note []byte
		nid  string
		oid  string
	}
	items := make([]item, len(ids))
	for i, id := range ids {
		note := n
		note.ID = NewID()
		data, err := json.MarshalIndent(note, "", "  ")
		if err != nil {
			return err
		}
		items[i] = item{id: id, note: append(data, '\n'), nid: note.ID}
	}
	// The notes are stored before the commit (a retried commit does not redo them), all at once.
	notes := make([][]byte, len(items))
	for i := range items {
		notes[i] = items[i].note
	}
	oids, err := s.WriteBlobs(ctx, notes)
	if err != nil {
		return err
	}
	for i := range items {
		items[i].oid = oids[i]
	}
	msg := fmt.Sprintf("edit %s %d experiment(s)", n.Op, len(ids))
	if len(ids) == 1 {
		msg = fmt.Sprintf("edit %s %s", n.Op, ids[0][:min(7, len(ids[0]))])
	}
	return s.Update(context.WithoutCancel(ctx), msg, func(tx *Tx) error {
		dirs := make([]string, 0, len(items))
		for _, it := range items {
			dirs = append(dirs, ExpPath(it.id)+"/notes")
		}
		if err := tx.Prefetch(dirs); err != nil {
			return err
		}
		for _, it := range items {
			if _, ok, err := tx.Entry(ExpPath(it.id) + "/experiment.json"); err != nil || !ok {
				if err == nil {
					err = fmt.Errorf("experiment %s is not in the store", it.id)
				}
				return err
			}
			if err := tx.Put(ExpPath(it.id)+"/notes/"+it.nid+".json", TreeEntry{Mode: ModeFile, OID: it.oid}); err != nil {
				return err
			}
		}
		return nil
	})
}

// Note is one append-only edit (notes/<op-id>.json).
type Note struct {
	ID    string   `json:"id"`
	Op    string   `json:"op"` // tag, untag, rename, describe, archive, unarchive, delete
	Tags  []string `json:"tags,omitempty"`
	Value string   `json:"value,omitempty"`
	Time  string   `json:"time"`
	User  string   `json:"user,omitempty"`
	Host  string   `json:"host,omitempty"`
}
