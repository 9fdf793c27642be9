package gitstore

import (
	"os"
	"testing"
)

// BenchmarkDecodeCache decodes the cache base file named by GITEXP_BENCH_CACHE (e.g. .git/exp/cache-v12 of a store
// made by bench/genstore and listed once): the part of a warm `list` that the cache format decides. Skipped without it.
func BenchmarkDecodeCache(b *testing.B) {
	path := os.Getenv("GITEXP_BENCH_CACHE")
	if path == "" {
		b.Skip("GITEXP_BENCH_CACHE is not set")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := decodeCache(data); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for range b.N {
		if _, err := decodeCache(data); err != nil {
			b.Fatal(err)
		}
	}
}
