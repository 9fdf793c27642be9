package value_test

import (
	"fmt"

	"github.com/git-exp/git-exp/value"
)

func ExampleMerge() {
	base := map[string]any{"model": map[string]any{"hidden_size": 256, "num_layers": 4}}
	merged, _ := value.Merge(base, map[string]any{"model.hidden_size": 512})
	b, _ := value.Marshal(merged)
	fmt.Println(string(b))
	// Output:
	// {"model":{"hidden_size":512,"num_layers":4}}
}

func ExampleScalar() {
	for _, s := range []string{"010", "0x10", "0o10", "1e-7", "NaN", "yes"} {
		v, _ := value.Scalar(s)
		fmt.Printf("%-5s %T %s\n", s, v, value.Format(v))
	}
	// Output:
	// 010   int 10
	// 0x10  int 16
	// 0o10  int 8
	// 1e-7  float64 1e-07
	// NaN   float64 NaN
	// yes   string yes
}
