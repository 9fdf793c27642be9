package cli

import (
	"testing"
)

func TestBatchCommandAndSizes(t *testing.T) {
	if got := commandLine([]string{"/usr/bin/git-exp", "run", "-p", "lr=list(0.1,0.2)", "-n", "it's", "train.py"}); got != `git exp run -p 'lr=list(0.1,0.2)' -n 'it'\''s' train.py` {
		t.Errorf("commandLine: %s", got)
	}
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1536: "1.5 KiB", 20 << 20: "20 MiB", 3 << 30: "3.0 GiB"} {
		if got := humanBytes(n); got != want {
			t.Errorf("humanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
