package cli

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/git-exp/git-exp/exp"
)

// delta is how b differs from a: "same", the difference of two numbers (signed), or "" when they cannot be
// subtracted.
func delta(a, b any, human bool) string {
	if a != nil && b != nil && formatValue(a) == formatValue(b) {
		return "same"
	}
	x, xok := exp.Float(a)
	y, yok := exp.Float(b)
	if !xok || !yok {
		return ""
	}
	switch d := y - x; {
	case math.IsNaN(d): // a NaN on either side, or Infinity minus Infinity: no delta
		return ""
	case math.IsInf(d, 1):
		return "+Infinity"
	case math.IsInf(d, -1):
		return "-Infinity"
	}
	if human {
		return fmt.Sprintf("%+.6g", y-x)
	}
	// Every digit, of the decimal difference: 0.95 - 0.9 is 0.05, not the float subtraction's 0.04999999999999993.
	s, ok := decimalDelta(formatValue(a), formatValue(b))
	if !ok {
		s = strconv.FormatFloat(y-x, 'g', -1, 64)
	}
	if !strings.HasPrefix(s, "-") && y-x > 0 {
		s = "+" + s
	}
	return s
}

// decimalDelta subtracts two plain decimal numbers exactly (b - a), with as many decimals as the longer of them.
func decimalDelta(a, b string) (string, bool) {
	if strings.ContainsAny(a+b, "eEInfa") {
		return "", false
	}
	ra, ok1 := new(big.Rat).SetString(a)
	rb, ok2 := new(big.Rat).SetString(b)
	if !ok1 || !ok2 {
		return "", false
	}
	decimals := func(s string) int {
		if _, frac, ok := strings.Cut(s, "."); ok {
			return len(frac)
		}
		return 0
	}
	return rb.Sub(rb, ra).FloatString(max(decimals(a), decimals(b))), true
}

func cell(m map[string]any, k string) string {
	v, ok := m[k]
	if !ok {
		return "-"
	}
	return formatValue(v)
}
