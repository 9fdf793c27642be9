package cli

import (
	"context"
	"os"
	"os/exec"
	"sort"
	"strings"
	"syscall"

	"github.com/alecthomas/kong"

	"github.com/git-exp/git-exp/gitstore"
)

// CompleteCmd answers shell completion: the words of the command line after "git exp", the last one being the word
// under the cursor (possibly empty); it prints one candidate per line. A first line ":files" asks the shell to
// complete file names instead. Experiments, tags, batches and keys come from the completion index (a small file
// kept next to the listing cache), so a TAB answers in milliseconds at 100,000 experiments.
type CompleteCmd struct {
	Rebuild bool     `help:"Bring the completion index up to date and print nothing (what a TAB starts in the background)."`
	Words   []string `arg:"" optional:"" passthrough:"" help:"The words after git exp, the last one the word being completed."`
}

// metaKeys are the metadata fields --where, --sort and --columns know (results/filter.go metaValue).
var metaKeys = []string{"id", "name", "status", "tags", "created", "started", "ended", "duration_s", "script", "batch",
	"user", "host", "parent", "executor", "description", "attempt", "archived", "branch", "dirty", "exit_code"}

// Run prints the candidates.
func (c *CompleteCmd) Run(ctx context.Context, env *Env, k *kong.Kong) error {
	if c.Rebuild {
		wd, _ := os.Getwd()
		return gitstore.RebuildCompletionIn(ctx, wd)
	}
	words := c.Words
	if len(words) > 0 && words[0] == "--" { // kong's passthrough keeps the "--" the scripts put first
		words = words[1:]
	}
	cands := completeWords(ctx, k.Model.Node, words)
	var b strings.Builder
	for _, s := range cands {
		b.WriteString(s)
		b.WriteByte('\n')
	}
	_, err := env.IO.Out.Write([]byte(b.String()))
	return err
}

// completer lazily loads the completion index (commands and flags need none).
type completer struct {
	ctx context.Context
	ix  *gitstore.CompletionIndex
}

func (c *completer) index() *gitstore.CompletionIndex {
	if c.ix == nil {
		wd, _ := os.Getwd()
		ix, stale, err := gitstore.LoadCompletion(c.ctx, wd)
		if err != nil {
			ix = &gitstore.CompletionIndex{}
		}
		if stale {
			rebuildInBackground(wd)
		}
		c.ix = ix
	}
	return c.ix
}

// rebuildInBackground starts this binary, detached, to bring the completion index up to date: this TAB answers from
// the index as it was (the experiments recorded since are missing from it), the next one from the new index.
func rebuildInBackground(dir string) {
	self, err := exec.LookPath("git-exp") // the git-exp git runs (as a Slurm job does), else this binary
	if err != nil {
		if self, err = os.Executable(); err != nil {
			return
		}
	}
	cmd := exec.Command(self, "-C", dir, "__complete", "--rebuild")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // not in the shell's job, not stopped by its Ctrl-C
	if cmd.Start() == nil {
		cmd.Process.Release()
	}
}

// completeWords returns the candidates for the last of words.
func completeWords(ctx context.Context, root *kong.Node, words []string) []string {
	if len(words) == 0 {
		words = []string{""}
	}
	cur, done := words[len(words)-1], words[:len(words)-1]
	comp := &completer{ctx: ctx}
	node := root
	npos := 0         // positional arguments seen in node
	dashdash := false // after "--": the script's own arguments
	var pending *kong.Flag
	for _, w := range done {
		switch {
		case pending != nil:
			pending = nil
		case dashdash:
		case w == "--":
			dashdash = true
		case strings.HasPrefix(w, "-") && len(w) > 1:
			if f := findFlag(node, w); f != nil && !f.IsBool() && !f.IsCounter() && !strings.Contains(w, "=") && !shortWithValue(w) {
				pending = f
			}
		default:
			if child := findChild(node, w); child != nil && npos == 0 {
				node = child
				continue
			}
			npos++
		}
	}
	if dashdash {
		return []string{":files"}
	}
	if pending != nil {
		return comp.flagValues(pending, cur, "")
	}
	if strings.HasPrefix(cur, "--") {
		if name, val, ok := strings.Cut(cur, "="); ok {
			if f := findFlag(node, name); f != nil {
				return comp.flagValues(f, val, name+"=")
			}
			return nil
		}
	}
	if strings.HasPrefix(cur, "-") {
		return filterPrefix(flagNames(node), cur)
	}
	if cmds := commandNames(node); len(cmds) > 0 && npos == 0 {
		return filterPrefix(cmds, cur)
	}
	return comp.positional(node, npos, cur)
}

// shortWithValue reports whether w is a short flag with its value attached (-n5, -pLR=1).
func shortWithValue(w string) bool { return !strings.HasPrefix(w, "--") && len(w) > 2 }

func findChild(node *kong.Node, name string) *kong.Node {
	for _, ch := range node.Children {
		if ch.Type != kong.CommandNode {
			continue
		}
		if ch.Name == name {
			return ch
		}
		for _, a := range ch.Aliases {
			if a == name {
				return ch
			}
		}
	}
	return nil
}

// findFlag finds the flag w (-x, -xVALUE, --name, --name=VALUE) of node or an ancestor.
func findFlag(node *kong.Node, w string) *kong.Flag {
	name, _, _ := strings.Cut(w, "=")
	for n := node; n != nil; n = n.Parent {
		for _, f := range n.Flags {
			if strings.HasPrefix(name, "--") && (f.Name == name[2:] || contains(f.Aliases, name[2:])) {
				return f
			}
			if !strings.HasPrefix(name, "--") && len(name) >= 2 && f.Short != 0 && rune(name[1]) == f.Short {
				return f
			}
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func flagNames(node *kong.Node) []string {
	var out []string
	for n := node; n != nil; n = n.Parent {
		for _, f := range n.Flags {
			if f.Hidden || f.Name == "help" && n != node {
				continue
			}
			out = append(out, "--"+f.Name)
		}
	}
	sort.Strings(out)
	return out
}

func commandNames(node *kong.Node) []string {
	var out []string
	for _, ch := range node.Children {
		if ch.Type == kong.CommandNode && !ch.Hidden {
			out = append(out, ch.Name)
		}
	}
	return out
}

func filterPrefix(list []string, prefix string) []string {
	var out []string
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			out = append(out, s)
		}
	}
	return out
}

// flagValues completes the value of flag f; prefix is put before each candidate (--sort=).
func (c *completer) flagValues(f *kong.Flag, cur, prefix string) []string {
	var out []string
	switch {
	case f.Enum != "":
		out = filterPrefix(f.EnumSlice(), cur)
	case f.Name == "tag":
		out = filterPrefix(c.index().Tags, cur)
	case f.Name == "batch":
		out = filterPrefix(c.index().Batches, cur)
	case f.Name == "param":
		for _, k := range c.index().Keys {
			if !strings.HasPrefix(k, "results.") && strings.HasPrefix(k+"=", cur) {
				out = append(out, k+"=")
			}
		}
	case f.Name == "where":
		out = filterPrefix(c.keys(), cur)
	case f.Name == "sort" || f.Name == "columns":
		// A comma-separated list: complete its last element; sort keys may start with - (descending).
		head, last := "", cur
		if i := strings.LastIndexByte(cur, ','); i >= 0 {
			head, last = cur[:i+1], cur[i+1:]
		}
		sign := ""
		if f.Name == "sort" && strings.HasPrefix(last, "-") {
			sign, last = "-", last[1:]
		}
		keys := c.keys()
		if f.Name == "columns" {
			keys = append([]string{"id", "name", "status", "created", "duration", "tags", "params", "results"}, keys...)
		}
		for _, k := range filterPrefix(keys, last) {
			out = append(out, head+sign+k)
		}
	case f.PlaceHolder == "FILE" || f.PlaceHolder == "DIR" || f.PlaceHolder == "PATH":
		return []string{":files"}
	}
	if prefix != "" {
		for i := range out {
			out[i] = prefix + out[i]
		}
	}
	return out
}

// keys are the keys filters and sorts know: parameters, results.KEY, metadata.
func (c *completer) keys() []string {
	return append(append([]string{}, c.index().Keys...), metaKeys...)
}

// positional completes the npos-th positional argument of node.
func (c *completer) positional(node *kong.Node, npos int, cur string) []string {
	if len(node.Positional) == 0 {
		return nil
	}
	p := node.Positional[min(npos, len(node.Positional)-1)]
	if npos >= len(node.Positional) && !p.IsSlice() {
		return nil
	}
	switch node.Name {
	case "run":
		return []string{":files"}
	case "help":
		return filterPrefix(commandNames(node.Parent), cur)
	case "completion":
		return filterPrefix([]string{"bash", "fish", "zsh"}, cur)
	case "tag":
		if strings.HasPrefix(cur, "+") || strings.HasPrefix(cur, "-") {
			var out []string
			for _, t := range filterPrefix(c.index().Tags, cur[1:]) {
				out = append(out, cur[:1]+t)
			}
			return out
		}
	}
	switch strings.ToLower(p.Name) {
	case "id", "ids", "a", "b", "args":
		return c.experiments(cur)
	}
	return nil
}

// experiments completes an experiment: short ids and names that start with cur. An empty word offers the newest
// ones only (a shell asks before showing thousands).
func (c *completer) experiments(cur string) []string {
	const newest, most = 100, 2000
	var out []string
	seen := map[string]bool{}
	i := 0
	c.index().EachExp(func(e gitstore.CompletionExp) bool {
		if cur == "" && i >= newest || len(out) >= most {
			return false
		}
		i++
		if strings.HasPrefix(e.ID, cur) {
			id := e.ShortID
			if len(cur) > len(id) || id == "" {
				id = e.ID
			}
			out = append(out, id)
		}
		if e.Name != "" && strings.HasPrefix(e.Name, cur) && !seen[e.Name] {
			seen[e.Name] = true
			out = append(out, e.Name)
		}
		return true
	})
	return out
}
