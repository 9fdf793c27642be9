package exp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"reflect"
	"strings"
	"testing"
)

func bytesOpener(b []byte) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
}

// collect reads a file through a Series.
func collect(t *testing.T, data []byte) ([]Point, *Series, error) {
	t.Helper()
	s, err := ScanMetrics(bytesOpener(data))
	if err != nil {
		return nil, s, err
	}
	var pts []Point
	err = s.Each(func(p Point) error {
		pts = append(pts, p)
		return nil
	})
	return pts, s, err
}

// randomSeries writes a metrics file: mostly increasing steps with repeats, and (when back) steps that go back,
// as a continued experiment does after restoring a checkpoint; a few malformed lines, blank lines and values of
// every kind.
func randomSeries(r *rand.Rand, n int, back bool) []byte {
	var b bytes.Buffer
	names := []string{"loss", "acc", "lr", "note", "val"}
	step := int64(0)
	for i := 0; i < n; i++ {
		switch x := r.Intn(100); {
		case x < 60:
			step++
		case x < 63 && back:
			step -= int64(r.Intn(20))
			if step < 0 {
				step = 0
			}
		case x < 65:
			b.WriteString("not json\n")
			continue
		case x < 66:
			b.WriteString("\n")
			continue
		}
		fmt.Fprintf(&b, `{"step":%d,"time":"t%d"`, step, i)
		for _, k := range names {
			if r.Intn(3) > 0 {
				continue
			}
			switch r.Intn(5) {
			case 0:
				fmt.Fprintf(&b, `,%q:%d`, k, r.Intn(1000))
			case 1:
				fmt.Fprintf(&b, `,%q:%v`, k, r.Float64())
			case 2:
				fmt.Fprintf(&b, `,%q:"s%d"`, k, i)
			case 3:
				fmt.Fprintf(&b, `,%q:{"a":[%d,true]}`, k, i)
			case 4:
				fmt.Fprintf(&b, `,%q:"NaN"`, k)
			}
		}
		b.WriteString("}\n")
	}
	return b.Bytes()
}

func TestSeriesMatchesReadMetrics(t *testing.T) {
	defer func(n int) { SortRunBytes = n }(SortRunBytes)
	r := rand.New(rand.NewSource(1))
	cases := 200
	if testing.Short() {
		cases = 40
	}
	for i := 0; i < cases; i++ {
		back := i%2 == 1
		n := r.Intn(300)
		if i%50 == 0 && !testing.Short() {
			n = 5000
		}
		data := randomSeries(r, n, back)
		// Small runs force the sort on disk with several runs to merge; large ones sort in memory.
		SortRunBytes = []int{1 << 20, 4096, 200}[i%3]
		if n > 300 {
			SortRunBytes = 16 << 10
		}
		want, werr := ReadMetrics(bytes.NewReader(data))
		got, s, gerr := collect(t, data)
		if fmt.Sprint(werr) != fmt.Sprint(gerr) {
			t.Fatalf("case %d: error %v, want %v", i, gerr, werr)
		}
		if len(want) == 0 {
			want = nil
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("case %d (back=%v, ordered=%v): %d points, want %d\n%s", i, back, s.Ordered(), len(got), len(want), data)
		}
		if s.Ordered() && s.Len() != len(want) || s.Len() < len(want) {
			t.Fatalf("case %d: Len %d for %d points", i, s.Len(), len(want))
		}
		names := map[string]bool{}
		for _, p := range want {
			for k := range p.Values {
				names[k] = true
			}
		}
		if len(names) != len(s.Names()) {
			t.Fatalf("case %d: names %v", i, s.Names())
		}
	}
}

func TestSeriesSample(t *testing.T) {
	want, _ := ReadMetrics(strings.NewReader(sample))
	got, s, err := collect(t, []byte(sample))
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, %v\nwant %v", got, err, want)
	}
	if s.Ordered() {
		t.Fatal("the sample's steps go back")
	}
	if w := []string{"acc", "big", "loss", "n", "nested", "note", "ok"}; !reflect.DeepEqual(s.Names(), w) {
		t.Fatalf("names %v, want %v", s.Names(), w)
	}
}

func TestSeriesErrors(t *testing.T) {
	_, _, err := collect(t, []byte("nope\n[1]\n"))
	var me *MalformedError
	if !errors.As(err, &me) || me.Lines != 2 {
		t.Fatalf("all malformed: %v", err)
	}
	pts, _, err := collect(t, nil)
	if err != nil || len(pts) != 0 {
		t.Fatalf("empty: %v %v", pts, err)
	}
	stop := errors.New("stop")
	s, _ := ScanMetrics(bytesOpener([]byte(sample)))
	if err := s.Each(func(Point) error { return stop }); err != stop {
		t.Fatalf("fn's error: %v", err)
	}
	// A file that changes between the passes so that its steps go back is an error, not a wrong answer.
	calls := 0
	s, err = ScanMetrics(func() (io.ReadCloser, error) {
		calls++
		if calls == 1 {
			return io.NopCloser(strings.NewReader("{\"step\":1}\n{\"step\":2}\n")), nil
		}
		return io.NopCloser(strings.NewReader("{\"step\":1}\n{\"step\":2}\n{\"step\":0}\n")), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Each(func(Point) error { return nil }); err == nil || !strings.Contains(err.Error(), "changed") {
		t.Fatalf("changed file: %v", err)
	}
}

func TestThin(t *testing.T) {
	var b bytes.Buffer
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&b, "{\"step\":%d,\"loss\":%d}\n", i, i)
		if i%100 == 99 {
			fmt.Fprintf(&b, "{\"step\":%d,\"val\":%d}\n", i, i)
		}
	}
	s, err := ScanMetrics(bytesOpener(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 7, 10, 300, 999, 1000, 5000, 0} {
		var got []Point
		if err := s.Thin(n, func(p Point) error { got = append(got, p); return nil }); err != nil {
			t.Fatal(err)
		}
		want := n
		if n <= 0 || n > 1000 {
			want = 1000
		}
		if len(got) > want || len(got) < want/2 {
			t.Fatalf("Thin(%d): %d points", n, len(got))
		}
		last := got[len(got)-1]
		if last.Step != 999 || last.Values["loss"] != 999 || last.Values["val"] != 999 {
			t.Fatalf("Thin(%d): last point %v", n, last)
		}
		vals := 0
		for _, p := range got {
			if _, ok := p.Values["val"]; ok {
				vals++
			}
		}
		if vals < min(len(got), 10) {
			t.Fatalf("Thin(%d): the sparse metric is in %d of %d points", n, vals, len(got))
		}
	}
}

// TestLastValuesMatchesFullParse checks LastValues, which parses only the lines it needs, against the rule read
// from every line parsed in full: the value at the largest step, the later line on a tie.
func TestLastValuesMatchesFullParse(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	for i := 0; i < 100; i++ {
		data := randomSeries(r, r.Intn(200), i%2 == 1)
		type last struct {
			step int64
			v    any
		}
		want := map[string]last{}
		s := NewMetricsScanner(bytes.NewReader(data))
		for s.Scan() {
			p := s.Point()
			for k, v := range p.Values {
				if l, ok := want[k]; !ok || p.Step >= l.step {
					want[k] = last{p.Step, v}
				}
			}
		}
		got, err := LastValues(bytes.NewReader(data))
		if err != nil && len(want) > 0 {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("case %d: %v, want %v", i, got, want)
		}
		for k, l := range want {
			if !reflect.DeepEqual(got[k], l.v) {
				t.Fatalf("case %d: %s = %v, want %v", i, k, got[k], l.v)
			}
		}
	}
}

// BenchmarkSeries reads a 200,000-point series point by point and thinned to 2,000 points: thinning costs one
// reading (both include the first pass, ScanMetrics).
func BenchmarkSeries(b *testing.B) {
	var buf bytes.Buffer
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 200000; i++ {
		fmt.Fprintf(&buf, `{"step":%d,"time":"2025-01-02T03:04:%02d.%09dZ","acc":%v,"loss":%v}`+"\n", i, i%60, i, r.Float64(), r.Float64()*10)
	}
	data := buf.Bytes()
	for _, n := range []int{0, 2000} {
		b.Run(fmt.Sprintf("thin=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for i := 0; i < b.N; i++ {
				s, err := ScanMetrics(bytesOpener(data))
				if err != nil {
					b.Fatal(err)
				}
				got := 0
				if err := s.Thin(n, func(Point) error { got++; return nil }); err != nil {
					b.Fatal(err)
				}
				if n > 0 && got > n {
					b.Fatalf("%d points", got)
				}
			}
		})
	}
}
