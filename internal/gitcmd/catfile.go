package gitcmd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"sync"
)

// ErrMissing is returned for an object or revision that the repository does not have.
var ErrMissing = errors.New("object not found")

// Object is one object read through cat-file.
type Object struct {
	OID  string
	Type string
	Data []byte
}

// CatFile is a long-lived `git cat-file --batch-command --buffer` process (`--batch` with a git older than 2.36). It
// is safe for concurrent use; requests are serialised.
//
// With --buffer, git writes the answers to a request of many objects in large blocks, where --batch flushes after
// every object: reading 40,000 objects (a cold listing of 10,000 experiments) then costs 40,000 fewer wake-ups of
// each process.
type CatFile struct {
	mu     sync.Mutex
	git    *Git
	ctx    context.Context
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	dead   error
	plain  bool // git has no --batch-command: plain --batch
	served bool // the process has answered a request
	closed bool
}

// ErrClosed is returned by a request made after Close.
var ErrClosed = errors.New("git cat-file: reader closed")

// NewCatFile returns a reader whose `git cat-file` process starts with its first request: a command whose objects
// are all read elsewhere (a run reads its objects from the object directory) starts none.
func (g *Git) NewCatFile(ctx context.Context) *CatFile {
	return &CatFile{git: g, ctx: ctx}
}

func (c *CatFile) start() error {
	args := []string{"cat-file", "--batch-command", "--buffer"}
	if c.plain {
		args = []string{"cat-file", "--batch"}
	}
	cmd := c.git.Command(c.ctx, args...)
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := Start(cmd); err != nil {
		return wrap(err, cmd.Args[1:], "")
	}
	c.cmd, c.in, c.out, c.dead, c.served = cmd, in, bufio.NewReaderSize(out, 64<<10), nil, false
	return nil
}

// Close stops the process: its input is closed, so it exits once it has written what it was still answering. It is
// drained and reaped in the background rather than waited for — waiting for git's exit was ~3 ms at the end of every
// command (issue 19: a run's fixed cost), and nothing of the process is needed any more.
func (c *CatFile) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if c.cmd == nil {
		return nil
	}
	c.in.Close()
	cmd, out := c.cmd, c.out
	c.cmd, c.out = nil, nil
	go func() {
		io.Copy(io.Discard, out)
		cmd.Wait()
	}()
	return nil
}

// Get reads one object by object id or revision ("refs/x", "HEAD", "oid:path").
func (c *CatFile) Get(rev string) (Object, error) {
	objs, err := c.GetMany([]string{rev})
	if err != nil {
		return Object{}, err
	}
	if objs[0].Type == "" {
		return Object{}, fmt.Errorf("%s: %w", rev, ErrMissing)
	}
	return objs[0], nil
}

// GetMany reads many objects, pipelining the requests. A missing object comes back with an empty Type.
func (c *CatFile) GetMany(revs []string) ([]Object, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	if len(revs) == 0 {
		return nil, nil
	}
	if c.cmd == nil {
		if err := c.start(); err != nil {
			return nil, err
		}
	}
	objs, err := c.getMany(revs)
	if err != nil && !c.served && !c.plain {
		// A git older than 2.36 exits at once on --batch-command: use --batch from now on.
		c.plain = true
		c.in.Close()
		c.cmd.Wait()
		if err := c.start(); err != nil {
			return nil, err
		}
		return c.getMany(revs)
	}
	return objs, err
}

func (c *CatFile) getMany(revs []string) ([]Object, error) {
	if c.dead != nil {
		// The process died (a signal sent to every process of a job, for instance): start a new one, once per call.
		c.in.Close()
		c.cmd.Wait()
		if err := c.start(); err != nil {
			return nil, fmt.Errorf("%v; restarting it failed: %w", c.dead, err)
		}
	}
	for _, r := range revs {
		if strings.ContainsAny(r, "\n") {
			return nil, fmt.Errorf("invalid revision %q", r)
		}
	}
	werr := make(chan error, 1)
	go func() {
		w := bufio.NewWriterSize(c.in, 64<<10)
		for _, r := range revs {
			if !c.plain {
				w.WriteString("contents ")
			}
			if _, err := w.WriteString(r + "\n"); err != nil {
				werr <- err
				return
			}
		}
		if !c.plain {
			w.WriteString("flush\n")
		}
		werr <- w.Flush()
	}()
	objs := make([]Object, len(revs))
	for i := range revs {
		header, err := c.out.ReadString('\n')
		if err != nil {
			c.dead = fmt.Errorf("git cat-file stopped: %w", err)
			return nil, c.dead
		}
		f := strings.Fields(header)
		if len(f) == 2 && (f[1] == "missing" || f[1] == "ambiguous") {
			continue
		}
		if len(f) != 3 {
			c.dead = fmt.Errorf("git cat-file: unexpected output %q", header)
			return nil, c.dead
		}
		size, err := strconv.Atoi(f[2])
		if err != nil {
			c.dead = fmt.Errorf("git cat-file: unexpected output %q", header)
			return nil, c.dead
		}
		data := make([]byte, size+1)
		if _, err := io.ReadFull(c.out, data); err != nil {
			c.dead = fmt.Errorf("git cat-file stopped: %w", err)
			return nil, c.dead
		}
		objs[i] = Object{OID: f[0], Type: f[1], Data: data[:size]}
	}
	if err := <-werr; err != nil {
		c.dead = fmt.Errorf("git cat-file stopped: %w", err)
		return nil, c.dead
	}
	c.served = true
	return objs, nil
}
