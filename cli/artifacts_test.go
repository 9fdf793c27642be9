package cli

import (
	"strings"
	"testing"
)

// artifacts on a terminal: sizes in human units; on a pipe, bytes. show: params (none), a tag given for an id.
func TestArtifactsShowHints(t *testing.T) {
	testRepo(t)
	mustRun(t, "run", "-q", "-n", "art", "-t", "best", "--", "sh", "-c", `head -c 2048 /dev/zero > "$GIT_EXP_OUT/model.bin"`)
	if out := mustRun(t, "artifacts", "art"); out != "model.bin\t2048\n" {
		t.Errorf("artifacts on a pipe: %q", out)
	}
	if out, _, _ := runIO(t, true, 100, "artifacts", "art"); !strings.Contains(out, "2.0 KiB") {
		t.Errorf("artifacts on a terminal:\n%s", out)
	}
	if out := mustRun(t, "show", "art"); !strings.Contains(out, "params:     (none)\n") {
		t.Errorf("show without params:\n%s", out)
	}
	_, errs, code := runIO(t, false, 100, "show", "best")
	if code != 2 || !strings.Contains(errs, `no experiment has the id or name "best", but 1 has it as a tag`) || !strings.Contains(errs, "git exp list --tag best") {
		t.Errorf("show TAG: exit %d, %s", code, errs)
	}
}
