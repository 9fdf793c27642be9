package gitstore

import (
	"bufio"
	"crypto/sha1"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/zlib"
)

// metricsFile writes a metrics file of n points as exp.Log writes them.
func metricsFile(b *testing.B, n int) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "metrics.jsonl")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	r := rand.New(rand.NewSource(1))
	for i := 0; i < n; i++ {
		fmt.Fprintf(w, `{"step":%d,"time":"2025-01-02T03:04:%02d.%09dZ","acc":%v,"loss":%v}`+"\n", i, i%60, i, r.Float64(), r.Float64()*10)
	}
	w.Flush()
	f.Close()
	return path
}

// BenchmarkWriteFileBlob stores a 300,000-point metrics file as a loose object (what the end of a run does), next
// to `git hash-object -w` of the same file and to the hash and the compression alone.
func BenchmarkWriteFileBlob(b *testing.B) {
	path := metricsFile(b, 300000)
	st, _ := os.Stat(path)
	repo := b.TempDir()
	if out, err := exec.Command("git", "init", "-q", repo).CombinedOutput(); err != nil {
		b.Fatalf("%v: %s", err, out)
	}
	objects := filepath.Join(repo, ".git", "objects")
	clean := func() {
		ents, _ := os.ReadDir(objects)
		for _, e := range ents {
			if len(e.Name()) == 2 {
				os.RemoveAll(filepath.Join(objects, e.Name()))
			}
		}
	}
	b.Run("git-exp", func(b *testing.B) {
		b.SetBytes(st.Size())
		for i := 0; i < b.N; i++ {
			clean()
			w := &objectWriter{dir: objects}
			if _, err := w.writeFile(path); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("git-hash-object", func(b *testing.B) {
		b.SetBytes(st.Size())
		for i := 0; i < b.N; i++ {
			clean()
			if out, err := exec.Command("git", "-C", repo, "hash-object", "-w", "--no-filters", path).CombinedOutput(); err != nil {
				b.Fatalf("%v: %s", err, out)
			}
		}
	})
	b.Run("sha1", func(b *testing.B) {
		b.SetBytes(st.Size())
		for i := 0; i < b.N; i++ {
			f, _ := os.Open(path)
			io.Copy(sha1.New(), f)
			f.Close()
		}
	})
	for _, level := range []int{zlib.BestSpeed, zlib.HuffmanOnly} {
		b.Run(fmt.Sprintf("zlib%d", level), func(b *testing.B) {
			b.SetBytes(st.Size())
			var n countWriter
			for i := 0; i < b.N; i++ {
				f, _ := os.Open(path)
				zw, _ := zlib.NewWriterLevel(&n, level)
				io.Copy(zw, f)
				zw.Close()
				f.Close()
			}
			b.ReportMetric(float64(n)/float64(b.N)/float64(st.Size()), "ratio")
		})
	}
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }
