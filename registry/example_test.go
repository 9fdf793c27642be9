package registry_test

import (
	"fmt"

	"github.com/git-exp/git-exp/registry"
)

type Model interface{ Params() int }

type MLP struct {
	Hidden int `json:"hidden"`
	Layers int `json:"layers"`
}

func (m MLP) Params() int { return m.Hidden * m.Layers }

func ExampleBuild() {
	// Usually in an init function, with every registration listed in one file.
	registry.RegisterStruct[MLP]("example.MLP")

	cfg := map[string]any{"type": "example.MLP", "hidden": 256, "layers": 4}
	m, err := registry.Build[Model](cfg, map[string]any{"hidden": 512}) // overrides win
	fmt.Println(m, err)

	_, err = registry.Build[Model](map[string]any{"type": "example.CNN"})
	fmt.Println(err != nil)
	// Output:
	// {512 4} <nil>
	// true
}
