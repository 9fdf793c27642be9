package config_test

import (
	"fmt"

	"github.com/git-exp/git-exp/config"
)

func ExampleParseValue() {
	for _, s := range []string{"3", "1.0", "yes", "null", "[1, 2]", "{a: 1}", `"3"`, "list(1, 2)"} {
		v := config.ParseValue(s)
		fmt.Printf("%-12q %T %v\n", s, v, v)
	}
	// Output:
	// "3"          int 3
	// "1.0"        float64 1
	// "yes"        string yes
	// "null"       <nil> <nil>
	// "[1, 2]"     []interface {} [1 2]
	// "{a: 1}"     map[string]interface {} map[a:1]
	// "\"3\""      string 3
	// "list(1, 2)" string list(1, 2)
}
