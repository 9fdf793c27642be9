package results_test

import (
	"strings"
	"testing"

	"github.com/git-exp/git-exp/internal/testrepo"
	"github.com/git-exp/git-exp/results"
)

// TestMain seals git from the developer's configuration.
func TestMain(m *testing.M) { testrepo.Main(m) }

func names(xs []*results.Experiment) string {
	var out []string
	for _, x := range xs {
		out = append(out, x.Name)
	}
	return strings.Join(out, " ")
}
