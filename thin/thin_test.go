package thin

import (
	"math"
	"slices"
	"testing"
)

func TestThinKeepsExtremes(t *testing.T) {
	val := make([]float64, 100000)
	for i := range val {
		val[i] = math.Sin(float64(i) / 100)
	}
	val[31337], val[77777] = 50, -50 // spikes a plain stride would miss
	val[500] = math.NaN()
	th := NewThinner(250)
	for i, v := range val {
		th.Add(Extreme{Step: float64(i), Val: v})
		if len(th.Buckets) > 500 {
			t.Fatalf("after %d points the thinner holds %d buckets: its memory grows with the series", i+1, len(th.Buckets))
		}
	}
	var steps []int
	for _, x := range Pick(th.Buckets, 250) {
		steps = append(steps, int(x.Step))
	}
	if len(steps) > 502 || len(steps) < 250 || steps[0] != 0 || steps[len(steps)-1] != len(val)-1 {
		t.Fatalf("thin: %d points, first %d, last %d", len(steps), steps[0], steps[len(steps)-1])
	}
	if !slices.Contains(steps, 31337) || !slices.Contains(steps, 77777) || !slices.IsSorted(steps) {
		t.Fatal("thin lost a spike or the order")
	}
	short := NewThinner(250)
	for i := range 10 {
		short.Add(Extreme{Step: float64(10 + i), Val: val[i]})
	}
	if got := Pick(short.Buckets, 250); !short.Exact() || len(got) != 10 || got[0].Step != 10 || got[9].Step != 19 {
		t.Fatalf("short series: %d points", len(got))
	}
	if got := short.InRange(12, 14); len(got) != 3 || got[0].First.Step != 12 {
		t.Fatalf("range of a short series: %d buckets", len(got))
	}
	nan := NewThinner(2)
	for i := range 100 {
		nan.Add(Extreme{Step: float64(i), Val: math.NaN()})
	}
	if got := Pick(nan.Buckets, 2); len(got) < 2 || len(got) > 6 {
		t.Fatalf("a series of NaN: %d points, want a few that show the gap", len(got))
	}
}
