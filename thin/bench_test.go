package thin

import (
	"fmt"
	"math"
	"testing"
)

// BenchmarkDecode decodes the stored summary of 1,000,000 points of 1 and of 20 metrics (every point timed, as
// exp.Log writes them): what the first chart of such a run costs the UI.
//
//	go test ./thin -run '^$' -bench BenchmarkDecode
func BenchmarkDecode(b *testing.B) {
	for _, metrics := range []int{1, 20} {
		sm := &Summary{Metrics: map[string]*Thinner{}, Half: HalfFor(metrics)}
		for m := range metrics {
			name := fmt.Sprintf("metric%02d", m)
			sm.Names = append(sm.Names, name)
			t := sm.track(name, NewThinner(sm.Half)).Thinner
			for i := range 1000000 {
				t.Add(Extreme{Step: float64(i), Val: math.Exp(-float64(i)/2e5) + 0.01*math.Sin(float64(i*(m+1))),
					Time: fmt.Sprintf("2026-01-02T03:04:%02d.%06dZ", i/1000%60, i%1000000)})
			}
		}
		data := sm.AppendStored(nil)
		b.Run(fmt.Sprint(metrics, "metrics"), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := Decode(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
