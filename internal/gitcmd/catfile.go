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

// CatFile is a long-lived `git cat-file --batch` process. It is safe for concurrent use; requests are serialised.
type CatFile struct {
	mu   sync.Mutex
	git  *Git
	ctx  context.Context
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Reader
	dead error
}

// NewCatFile starts `git cat-file --batch`.
func (g *Git) NewCatFile(ctx context.Context) (*CatFile, error) {
	c := &CatFile{git: g, ctx: ctx}
	if err := c.start(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *CatFile) start() error {
	cmd := c.git.Command(c.ctx, "cat-file", "--batch")
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
	c.cmd, c.in, c.out, c.dead = cmd, in, bufio.NewReaderSize(out, 64<<10), nil
	return nil
}

// Close stops the process.
func (c *CatFile) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmd == nil {
		return nil
	}
	c.in.Close()
	err := c.cmd.Wait()
	c.cmd = nil
	return err
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
			if _, err := w.WriteString(r + "\n"); err != nil {
				werr <- err
				return
			}
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
	return objs, nil
}
