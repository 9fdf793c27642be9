package config

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/git-exp/git-exp/value"
)

// Issue 14, item 8: imports resolve inside the repository or a --config file's directory, symlinks followed.
func TestImportsStayInside(t *testing.T) {
	repo := writeFiles(t, map[string]string{
		"config.yaml":  "imports: [sub/ok.yaml]\na: 1\n",
		"sub/ok.yaml":  "b: 2\n",
		"escape1.yaml": "imports: ../secret.yaml\n",
		"escape2.yaml": "imports: [link.yaml]\n",
		"escape3.yaml": "imports: [linkdir/x.yaml]\n",
		"inside.yaml":  "imports: [inlink.yaml]\n",
	})
	outside := writeFiles(t, map[string]string{
		"secret.yaml":    "aws_key: hunter2\n",
		"mine.yaml":      "imports: [mine-base.yaml]\nc: 3\n",
		"mine-base.yaml": "d: 4\n",
		"evil.yaml":      "imports: [../../etc/passwd]\n",
		"x.yaml":         "x: 1\n",
	})
	// the repository sits next to the secret, as "../secret.yaml" from it
	os.WriteFile(filepath.Join(filepath.Dir(repo), "secret.yaml"), []byte("aws_key: hunter2\n"), 0o644)
	must(t, os.Symlink(filepath.Join(outside, "secret.yaml"), filepath.Join(repo, "link.yaml")))
	must(t, os.Symlink(outside, filepath.Join(repo, "linkdir")))
	must(t, os.Symlink(filepath.Join(repo, "sub", "ok.yaml"), filepath.Join(repo, "inlink.yaml")))
	chdir(t, repo)

	if _, _, err := Resolve(repo, filepath.Join(repo, "config.yaml"), nil, nil, nil); err != nil {
		t.Fatalf("imports inside the repository: %v", err)
	}
	if _, _, err := Resolve(repo, "", []string{"inside.yaml"}, nil, nil); err != nil {
		t.Fatalf("a symlink inside the repository to a file inside it: %v", err)
	}
	for _, f := range []string{"escape1.yaml", "escape2.yaml", "escape3.yaml"} {
		_, _, err := Resolve(repo, "", []string{f}, nil, nil)
		if err == nil || !strings.Contains(err.Error(), "outside the repository") || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: %v", f, err)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: error of more than one line: %q", f, err)
		}
	}
	// a --config file outside the repository may import next to itself, not further
	tree, _, err := Resolve(repo, "", []string{filepath.Join(outside, "mine.yaml")}, nil, nil)
	if err != nil || tree["d"] != 4 {
		t.Fatalf("--config outside the repository importing beside itself: %v %v", tree, err)
	}
	if _, _, err := Resolve(repo, "", []string{filepath.Join(outside, "evil.yaml")}, nil, nil); err == nil || !strings.Contains(err.Error(), `imports "../../etc/passwd"`) {
		t.Errorf("evil.yaml: %v", err)
	}
	// Load: imports inside the loaded file's directory
	if _, err := Load(filepath.Join(repo, "escape2.yaml")); err == nil {
		t.Error("Load followed a symlink out of the file's directory")
	}
}

// Issue 14, item 11: only regular files, at most MaxFileSize, and nothing blocks.
func TestImportsRegularFilesOnly(t *testing.T) {
	repo := writeFiles(t, map[string]string{
		"zero.yaml": "imports: [/dev/zero]\n",
		"fifo.yaml": "imports: [pipe]\n",
		"dir.yaml":  "imports: [sub]\n",
		"sub/x":     "",
		"big.yaml":  "imports: [huge.yaml]\n",
	})
	must(t, syscall.Mkfifo(filepath.Join(repo, "pipe"), 0o644))
	must(t, os.WriteFile(filepath.Join(repo, "huge.yaml"), []byte("a: "+strings.Repeat("x", MaxFileSize)+"\n"), 0o644))
	chdir(t, repo)
	cases := map[string]string{
		"zero.yaml": `outside the repository`, // /dev/zero is outside; inside one it would be "not a regular file"
		"fifo.yaml": `imports "pipe": not a regular file (a FIFO)`,
		"dir.yaml":  `imports "sub": not a regular file (a directory)`,
		"big.yaml":  `larger than the 10 MiB a config file may have`,
	}
	for f, want := range cases {
		done := make(chan error, 1)
		go func() { _, _, err := Resolve(repo, "", []string{f}, nil, nil); done <- err }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: %v, want %q", f, err, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: still loading after 10 s", f)
		}
	}
	// a user-named device is refused as well
	if _, _, err := Resolve(repo, "", []string{"/dev/zero"}, nil, nil); err == nil || !strings.Contains(err.Error(), "/dev/zero: not a regular file (a device)") {
		t.Errorf("--config /dev/zero: %v", err)
	}
}

// Issue 14, item 10: nesting is limited to MaxDepth, with one line, in time linear in the input.
func TestDepthLimit(t *testing.T) {
	deep := strings.Repeat("a.", 40000) + "a"
	start := time.Now()
	_, _, err := Resolve("", "", nil, nil, []string{deep + "=1"})
	if err == nil || !strings.Contains(err.Error(), "parameters nest at most 100 levels deep") {
		t.Errorf("40,000-level key: %v", err)
	}
	if len(err.Error()) > 300 {
		t.Errorf("error too long: %d bytes", len(err.Error()))
	}
	ok := strings.Repeat("a.", value.MaxDepth-1) + "a"
	if _, _, err := Resolve("", "", nil, nil, []string{ok + "=1"}); err != nil {
		t.Errorf("%d-level key: %v", value.MaxDepth, err)
	}
	// nesting in a config file plus a dotted key
	repo := writeFiles(t, map[string]string{
		"nest.yaml": "x: " + strings.Repeat("{a: ", 60) + "1" + strings.Repeat("}", 60) + "\n" + "b." + strings.Repeat("c.", 40) + "d: 1\n",
	})
	chdir(t, repo)
	_, _, err = Resolve(repo, "", []string{"nest.yaml"}, nil, []string{"b." + strings.Repeat("c.", 40) + "d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.aa.bb.cc.dd.ee.ff.gg.hh.ii.jj.kk.ll.mm.nn.oo.pp.qq.rr.ss.tt.uu.vv.ww.xx.yy.zz.aaa.bbb.ccc=1"})
	if err == nil {
		t.Error("the 100-level limit was not applied across a file and a dotted key")
	}
	if _, _, err := Resolve(repo, "", []string{"nest.yaml"}, nil, nil); err != nil {
		t.Errorf("60 levels: %v", err)
	}
	// JSON: deep stored values are refused before decoding
	if _, err := value.Unmarshal([]byte(strings.Repeat("[", 5000) + strings.Repeat("]", 5000))); err == nil || !strings.Contains(err.Error(), "nested more than 100 levels") {
		t.Errorf("deep JSON: %v", err)
	}
	if _, err := value.Unmarshal([]byte(`{"a":"[[[[` + strings.Repeat("[", 200) + `\"x"}`)); err != nil {
		t.Errorf("brackets in a string counted as nesting: %v", err)
	}
	if time.Since(start) > 20*time.Second {
		t.Logf("slow: %v", time.Since(start)) // not an assertion: timing belongs to benchmarks
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Issue 14, item 12: a huge parameter value is refused with one line naming it.
func TestParamsSizeLimit(t *testing.T) {
	_, _, err := Resolve("", "", nil, nil, []string{"small=1", "model.blob=" + strings.Repeat("x", 5<<20)})
	if err == nil || !strings.Contains(err.Error(), "the largest is model.blob (5120 KiB): put data in a file and pass its path") {
		t.Errorf("5 MB value: %v", err)
	}
	if _, _, err := Resolve("", "", nil, nil, []string{"ok=" + strings.Repeat("x", MaxParamsSize-100)}); err != nil {
		t.Errorf("a value just under the limit: %v", err)
	}
}

// What Resolve accepts (MaxDepth levels) is what the stored JSON decoder reads back.
func TestDepthLimitRoundTrip(t *testing.T) {
	key := strings.Repeat("a.", value.MaxDepth-1) + "a"
	tree, _, err := Resolve("", "", nil, nil, []string{key + "=1"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := value.Marshal(tree)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := value.Unmarshal(b); err != nil {
		t.Errorf("%d levels do not decode: %v", value.MaxDepth, err)
	}
}
