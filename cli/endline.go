package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/git-exp/git-exp/gitstore"
	"github.com/git-exp/git-exp/value"
)

// reportEnd prints the line that ends a single run on stderr, whatever the script printed and with -q too: id,
// name, status, duration and results; for a failure, the error and where to read it; for Ctrl-C, how to go on.
func reportEnd(ctx context.Context, env *Env, st *gitstore.Store, m *gitstore.Manifest, results []byte) {
	if m == nil || m.ID == "" {
		return
	}
	short := m.ID[:min(7, len(m.ID))]
	head := fmt.Sprintf("git exp: %s %s %s", short, m.Name, m.Status)
	dur := humanDuration(m.DurationS)
	switch m.Status {
	case gitstore.StatusCompleted:
		line := head + " in " + dur
		if res := endResults(ctx, env, st, m.ID, results); res != "" {
			line += ": " + res
		}
		env.IO.Warnf("%s", line)
	case gitstore.StatusCancelled:
		env.IO.Warnf("%s after %s: git exp continue %s resumes it (its outputs restored)", head, dur, short)
	default:
		why := m.Error
		if why == "" {
			why = m.Status
		}
		env.IO.Warnf("%s after %s (%s): see git exp logs %s --stderr", head, dur, why, short)
	}
}

// endResults is the results of an experiment as "k=v k=v": 6 significant digits on a terminal, every digit on a pipe.
// data is what the run itself wrote, when this process ran it; otherwise they are read from the store.
func endResults(ctx context.Context, env *Env, st *gitstore.Store, id string, data []byte) string {
	if data == nil {
		rc, ok, err := st.OpenFile(context.WithoutCancel(ctx), id, "results.json")
		if err != nil || !ok {
			return ""
		}
		defer rc.Close()
		if data, err = io.ReadAll(rc); err != nil {
			return ""
		}
	}
	if len(data) == 0 {
		return ""
	}
	if env.IO.ErrTTY {
		return humanKV(data)
	}
	return strings.TrimSpace(value.CompactKV(flat(data)))
}
