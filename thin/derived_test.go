package thin

import (
	"bytes"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/git-exp/git-exp/exp"
	"github.com/git-exp/git-exp/value"
)

// derivedSeeds are metrics files whose last values are worth checking: steps that go back, a step written twice,
// values that are not numbers, NaN and infinities, malformed and blank lines, a metric that stops early.
var derivedSeeds = []string{
	"",
	"{\"step\":0,\"loss\":1}\n",
	"{\"step\":0,\"loss\":1,\"acc\":0.5}\n{\"step\":1,\"loss\":0.5}\n{\"step\":2,\"acc\":0.9,\"note\":\"done\"}\n",
	"{\"step\":5,\"loss\":1}\n{\"step\":3,\"loss\":2}\n{\"step\":5,\"loss\":3}\n",
	"{\"step\":0,\"loss\":NaN}\n{\"step\":1,\"loss\":Infinity,\"x\":-Infinity}\nnot json\n\n{\"step\":2}\n",
	"{\"step\":1,\"time\":\"2026-01-01T00:00:00Z\",\"m\":{\"a\":1},\"l\":[1,2],\"b\":true,\"n\":null}\n",
	"{\"loss\":1}\n{\"step\":1.5,\"loss\":2}\n{\"step\":2,\"loss\":3}",
}

// DerivedAndLast's last values are exactly exp.LastValues of the same file, and its files are Derived's.
func FuzzDerivedAndLast(f *testing.F) {
	for _, s := range derivedSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		open := func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
		files, last := DerivedAndLast(open, int64(len(data)))
		want, err := exp.LastValues(bytes.NewReader(data))
		if err != nil && len(want) == 0 {
			want = nil
		}
		if len(last) != len(want) || len(last) > 0 && !sameValues(last, want) {
			t.Fatalf("last values %v, exp.LastValues %v", last, want)
		}
		if !reflect.DeepEqual(files, Derived(open, int64(len(data)))) {
			t.Fatal("DerivedAndLast's files are not Derived's")
		}
	})
}

// sameValues compares as the stored JSON does (NaN equals NaN).
func sameValues(a, b map[string]any) bool {
	x, err1 := value.Marshal(a)
	y, err2 := value.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}

// A run's results come from the same pass as its summary: the summary's "last" of each metric is its result.
func TestDerivedSummaryHasTheLastValues(t *testing.T) {
	data := derivedSeeds[2]
	files, last := DerivedAndLast(func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(data)), nil }, int64(len(data)))
	summary, err := value.Unmarshal(files[SummaryFileName])
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range last {
		got := summary.(map[string]any)[k].(map[string]any)["last"]
		if !sameValues(map[string]any{k: got}, map[string]any{k: v}) {
			t.Errorf("%s: summary last %v, last value %v", k, got, v)
		}
	}
	if len(last) != 3 || last["note"] != "done" {
		t.Errorf("last values %v", last)
	}
}
