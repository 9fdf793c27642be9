package query

import (
	"math"
	"testing"
	"time"
)

var sortKeyValues = []any{
	nil, false, true, 0, 1, -1, int64(math.MaxInt64), int64(math.MinInt64), 0.5, -0.0, math.NaN(), math.Inf(1),
	math.Inf(-1), 0x1p63, 9007199254740993, 9007199254740992.0, "", "a", "b", "10", []any{1, "x"}, []any{},
	[]string{"a"}, map[string]any{"a": 1}, map[string]any{}, uint64(math.MaxUint64), float32(1.5),
	time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), "2026-01-02T03:04:05Z",
}

// CompareKeys must agree with Compare on every pair, or sorted listings would depend on the path taken.
func TestCompareKeysAgreesWithCompare(t *testing.T) {
	for _, a := range sortKeyValues {
		for _, b := range sortKeyValues {
			want := Compare(a, b)
			if got := compareKeys(a, b); got != want {
				t.Errorf("CompareKeys(%#v, %#v) = %d, Compare = %d", a, b, got, want)
			}
		}
	}
}

func FuzzCompareKeys(f *testing.F) {
	f.Add(int64(1), 1.0, "a", uint8(0), uint8(1))
	f.Add(int64(math.MaxInt64), 0x1p63, "", uint8(2), uint8(1))
	f.Fuzz(func(t *testing.T, i int64, x float64, s string, ka, kb uint8) {
		pick := func(k uint8) any {
			switch k % 5 {
			case 0:
				return i
			case 1:
				return x
			case 2:
				return s
			case 3:
				return int(i)
			}
			return nil
		}
		a, b := pick(ka), pick(kb)
		if got, want := compareKeys(a, b), Compare(a, b); got != want {
			t.Fatalf("CompareKeys(%#v, %#v) = %d, Compare = %d", a, b, got, want)
		}
	})
}

func compareKeys(a, b any) int {
	ka, kb := MakeSortKey(a), MakeSortKey(b)
	return CompareKeys(&ka, &kb)
}
