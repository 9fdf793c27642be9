package value

import "testing"

// A params.json and a results.json as git-exp writes them: what reading 100,000 experiments decodes.
var benchDocs = [][]byte{
	[]byte(`{"batch_size":64,"epochs":12,"lr":0.001,"model":{"dropout":0.1,"layers":4,"name":"resnet"},"optimizer":"adam","seed":42}`),
	[]byte("{\n  \"accuracy\": 0.9123,\n  \"loss\": 0.231877,\n  \"step\": 1000\n}\n"),
}

func BenchmarkUnmarshal(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		for _, d := range benchDocs {
			if _, err := Unmarshal(d); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkMarshal(b *testing.B) {
	var trees []any
	for _, d := range benchDocs {
		v, _ := Unmarshal(d)
		trees = append(trees, v)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, v := range trees {
			if _, err := Marshal(v); err != nil {
				b.Fatal(err)
			}
		}
	}
}
