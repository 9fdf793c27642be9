package exp

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/git-exp/git-exp/value"
)

// lines returns the metrics file's lines, each decoded.
func lines(t testing.TB, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		v, err := value.Unmarshal(sc.Bytes())
		m, ok := v.(map[string]any)
		if err != nil || !ok {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		for k, x := range m { // numbers as float64, as the tests compare them
			if i, ok := x.(int); ok {
				m[k] = float64(i)
			}
		}
		out = append(out, m)
	}
	return out
}

func TestLogSteps(t *testing.T) {
	c, r := newTracked(t, "")
	logs := []struct {
		m    map[string]any
		opts []LogOption
		step float64
	}{
		{map[string]any{"loss": 1.0}, nil, 0}, // first: 0
		{map[string]any{"loss": 0.9}, nil, 1}, // one past the largest
		{map[string]any{"loss": 0.5}, []LogOption{Step(10)}, 10},
		{map[string]any{"acc": 0.7}, []LogOption{Step(10)}, 10}, // same step: another line
		{map[string]any{"loss": 0.4}, []LogOption{Step(3)}, 3},  // going back is allowed
		{map[string]any{"loss": 0.3}, nil, 11},                  // still one past the largest
	}
	for _, l := range logs {
		if err := c.Log(l.m, l.opts...); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	got := lines(t, r.metrics)
	if len(got) != len(logs) {
		t.Fatalf("%d lines, want %d", len(got), len(logs))
	}
	for i, l := range logs {
		if got[i]["step"] != l.step {
			t.Errorf("line %d: step %v, want %v", i, got[i]["step"], l.step)
		}
		ts, _ := got[i]["time"].(string)
		if tm, err := time.Parse(time.RFC3339Nano, ts); err != nil || !strings.HasSuffix(ts, "Z") || time.Since(tm) > time.Minute {
			t.Errorf("line %d: bad time %q", i, ts)
		}
	}

	// Merged by readers, later keys winning.
	f, _ := os.Open(r.metrics)
	defer f.Close()
	pts, err := ReadMetrics(f)
	if err != nil {
		t.Fatal(err)
	}
	var steps []int64
	for _, p := range pts {
		steps = append(steps, p.Step)
	}
	if fmt.Sprint(steps) != "[0 1 3 10 11]" {
		t.Fatalf("steps %v", steps)
	}
	if v := pts[3].Values; v["loss"] != 0.5 || v["acc"] != 0.7 {
		t.Fatalf("step 10 = %v", v)
	}

	// Logging after Close reopens and appends; a new Client continues the numbering.
	if err := c.Log(map[string]any{"x": 1}); err != nil {
		t.Fatal(err)
	}
	c.Close()
	c2 := New(WithEnviron(c.environ), WithStderr(r.stderr))
	if err := c2.Log(map[string]any{"x": 2}); err != nil {
		t.Fatal(err)
	}
	c2.Close()
	got = lines(t, r.metrics)
	if n := len(got); got[n-2]["step"] != 12.0 || got[n-1]["step"] != 13.0 {
		t.Fatalf("steps after reopen: %v %v", got[n-2]["step"], got[n-1]["step"])
	}
}

func TestLogValues(t *testing.T) {
	c, r := newTracked(t, "")
	type loss float64
	err := c.Log(map[string]any{
		"f": 1.0, "g": 0.25, "tiny": 1e-7, "huge": 1e21, "f32": float32(0.1),
		"i": 3, "u": uint8(4), "neg": int64(-5), "b": true, "s": "a\"b\n\x01é\xff",
		"nan": math.NaN(), "pinf": math.Inf(1), "ninf": math.Inf(-1), "named": loss(2),
	}, Step(0))
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	line := strings.TrimSpace(readFile(t, r.metrics))
	for _, want := range []string{
		`"f":1.0,`, `"g":0.25,`, `"tiny":1e-7,`, `"huge":1e+21,`, `"f32":0.1,`, `"i":3,`, `"u":4`, `"neg":-5`,
		`"b":true`, `"s":"a\"b\n\u0001é\ufffd"`, `"nan":NaN`, `"pinf":Infinity`, `"ninf":-Infinity`, `"named":2.0`,
	} {
		if !strings.Contains(line, want) {
			t.Errorf("line lacks %s:\n%s", want, line)
		}
	}
	// 1e-7 is written as in params and results: one encoder (value.Marshal).
	if b, _ := value.Marshal(1e-7); !strings.Contains(line, `"tiny":`+string(b)+`,`) {
		t.Errorf("1e-7 is %s in params and results, but not in %s", b, line)
	}
	if _, err := value.Unmarshal([]byte(line)); err != nil {
		t.Fatalf("the line does not read back: %v: %s", err, line)
	}
	// Keys are sorted after step and time.
	if !strings.HasPrefix(line, `{"step":0,"time":"`) || strings.Index(line, `"b":`) > strings.Index(line, `"f":`) {
		t.Errorf("key order: %s", line)
	}

	for _, bad := range []map[string]any{
		{"step": 1}, {"time": "x"}, {"": 1}, {"l": []float64{1}}, {"m": nil}, {"ok": 1, "z": struct{}{}},
	} {
		if err := c.Log(bad); err == nil {
			t.Errorf("Log(%v) did not fail", bad)
		}
	}
	if err := c.Log(map[string]any{"x": 1}, Step(-1)); err == nil {
		t.Error("negative step accepted")
	}
	c.Close()
	if n := len(lines(t, r.metrics)); n != 1 {
		t.Fatalf("rejected points were written: %d lines", n)
	}
}

func TestLogAfterPartialLine(t *testing.T) {
	c, r := newTracked(t, "")
	os.WriteFile(r.metrics, []byte("{\"step\":4,\"loss\":1}\n{\"step\":9,\"lo"), 0o644)
	if err := c.Log(map[string]any{"loss": 2}); err != nil {
		t.Fatal(err)
	}
	c.Close()
	data := readFile(t, r.metrics)
	if !strings.HasSuffix(data, "\"lo\n{\"step\":5,") && !strings.Contains(data, "\"lo\n{\"step\":5,") {
		t.Fatalf("file:\n%s", data)
	}
}

func TestLogFlushesPeriodically(t *testing.T) {
	c, r := newTracked(t, "")
	c.flushInterval = 20 * time.Millisecond
	c.Log(map[string]any{"x": 1})
	deadline := time.Now().Add(5 * time.Second)
	for {
		if b, _ := os.ReadFile(r.metrics); len(b) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("buffered point never flushed")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestLogConcurrent(t *testing.T) {
	c, r := newTracked(t, "")
	const goroutines, each = 8, 500
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				if err := c.Log(map[string]any{fmt.Sprintf("g%d", g): i}); err != nil {
					t.Error(err)
					return
				}
				if i%100 == 0 {
					c.Result(fmt.Sprintf("g%d", g), i)
					c.Flush()
				}
			}
		})
	}
	wg.Wait()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	got := lines(t, r.metrics)
	if len(got) != goroutines*each {
		t.Fatalf("%d lines, want %d", len(got), goroutines*each)
	}
	seen := make(map[float64]bool)
	for _, l := range got {
		s := l["step"].(float64)
		if seen[s] || s < 0 || s >= goroutines*each {
			t.Fatalf("step %v duplicated or out of range", s)
		}
		seen[s] = true
	}
}

// TestLogMillion logs 1e6 points: under 2 s, and without the heap growing.
// The time limit applies to the CPU time used (where it can be measured), so
// that a loaded machine does not fail the test; both are logged.
func TestLogMillion(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	c, r := newTracked(t, "")
	const n = 1_000_000
	m := map[string]any{"loss": 0.0, "acc": 0.0}
	var ms runtime.MemStats
	var heapAt100k uint64
	runtime.GC()
	cpu0, haveCPU := cpuTime()
	start := time.Now()
	for i := range n {
		m["loss"] = 1 / float64(i+1)
		m["acc"] = float64(i) / n
		if err := c.Log(m); err != nil {
			t.Fatal(err)
		}
		if i == 100_000 {
			runtime.ReadMemStats(&ms)
			heapAt100k = ms.HeapInuse
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	wall := time.Since(start)
	cpu1, _ := cpuTime()
	cpu := cpu1 - cpu0
	runtime.ReadMemStats(&ms)
	st, _ := os.Stat(r.metrics)
	t.Logf("1e6 points: %v wall (%.0f ns/point), %v CPU; file %d MB; heap in use %d KB at 1e5 points, %d KB at 1e6",
		wall.Round(time.Millisecond), float64(wall.Nanoseconds())/n, cpu.Round(time.Millisecond),
		st.Size()>>20, heapAt100k>>10, ms.HeapInuse>>10)
	took := wall
	if haveCPU {
		took = cpu
	}
	if !raceEnabled && took > 2*time.Second {
		t.Errorf("1e6 points took %v, want < 2s", took)
	}
	if grow := int64(ms.HeapInuse) - int64(heapAt100k); grow > 1<<20 {
		t.Errorf("heap grew by %d bytes between 1e5 and 1e6 points", grow)
	}
	f, _ := os.Open(r.metrics)
	defer f.Close()
	last, err := LastValues(f)
	if err != nil || last["acc"] != float64(n-1)/n {
		t.Fatalf("LastValues = %v, %v", last, err)
	}
}

func BenchmarkLog(b *testing.B) {
	c, _ := newTracked(b, "")
	m := map[string]any{"loss": 0.5, "acc": 0.9, "epoch": 3}
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Log(m); err != nil {
			b.Fatal(err)
		}
	}
	if err := c.Close(); err != nil {
		b.Fatal(err)
	}
}
