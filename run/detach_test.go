package run

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// StartDetached starts the command again in the background, in its own session, and returns what the child
// reported it recorded; a child that ends without reporting gives back what it said and its exit status.
func TestStartDetached(t *testing.T) {
	r, _ := testRunner(t)
	d, err := StartDetached(r.Store, []string{os.Args[0], "-test.run=^TestHelperDetached$", "-test.v=false"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Kind != "batch" || d.ID != "0123456789abcdef" || d.PID <= 0 {
		t.Fatalf("detached %+v", d)
	}
	if sid, err := getsid(d.PID); err == nil && sid != d.PID {
		t.Errorf("the background process is in session %d, not its own", sid)
	}
	// It goes on after reporting, then ends and removes its log, which stayed empty.
	logs := filepath.Join(r.Store.ExpDir(), "detached")
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		ents, _ := os.ReadDir(logs)
		if len(ents) == 0 && !alive(d.PID) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the background process or its log is still there: %v", ents)
		}
	}
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(d.PID, &ws, 0, nil); err == nil && ws.ExitStatus() != 0 { // this test is its parent
		t.Errorf("the background process ended with %v", ws)
	}

	t.Setenv("GITEXP_TEST_DETACH_FAIL", "1")
	_, err = StartDetached(r.Store, []string{os.Args[0], "-test.run=^TestHelperDetached$", "-test.v=false"})
	de, ok := err.(*DetachError)
	if !ok || de.ExitCode != 5 || !strings.Contains(string(de.Output), "a mistake in the command") {
		t.Fatalf("a child that reported nothing: %#v", err)
	}
	if ents, _ := os.ReadDir(logs); len(ents) != 0 {
		t.Errorf("the failed child's log was left: %v", ents)
	}
}

func getsid(pid int) (int, error) {
	sid, _, errno := syscall.RawSyscall(syscall.SYS_GETSID, uintptr(pid), 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(sid), nil
}

// TestHelperDetached is the background process of TestStartDetached.
func TestHelperDetached(t *testing.T) {
	d := NewDetachedReporter()
	if d == nil {
		t.Skip("the background process of TestStartDetached")
	}
	if os.Getenv(detachEnv) != "" || os.Getenv(detachLogEnv) != "" {
		t.Fatal("the detach variables are still in the environment (they would reach the scripts)")
	}
	if os.Getenv("GITEXP_TEST_DETACH_FAIL") != "" {
		os.Stderr.WriteString("git exp: a mistake in the command\n")
		os.Exit(5)
	}
	d.Report("batch", "0123456789abcdef")
	d.Report("exp", "fedcba9876543210") // only the first report counts
	time.Sleep(200 * time.Millisecond)
	d.RemoveEmptyLog()
	os.Exit(0) // past the testing package's own output, which would fill the log
}
