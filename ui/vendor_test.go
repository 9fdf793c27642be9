package ui

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

// TestVendoredUPlot checks the embedded uPlot files against the checksums scripts/vendor-uplot.sh recorded.
func TestVendoredUPlot(t *testing.T) {
	rec, err := assets.ReadFile("assets/vendor/uPlot.txt")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, line := range strings.Split(string(rec), "\n") {
		sum, ok := strings.CutPrefix(line, "sha256: ")
		if !ok {
			continue
		}
		f := strings.Fields(sum)
		if len(f) != 2 {
			t.Fatalf("bad line %q", line)
		}
		data, err := assets.ReadFile("assets/vendor/" + f[1])
		if err != nil {
			t.Fatal(err)
		}
		got := sha256.Sum256(data)
		if hex.EncodeToString(got[:]) != f[0] {
			t.Errorf("%s: sha256 %x, recorded %s (run scripts/vendor-uplot.sh)", f[1], got, f[0])
		}
		checked++
	}
	if checked != 3 || !strings.Contains(string(rec), "version: 1.6.32") || !strings.Contains(string(rec), "licence: MIT") {
		t.Fatalf("uPlot.txt records %d checksums:\n%s", checked, rec)
	}
}
