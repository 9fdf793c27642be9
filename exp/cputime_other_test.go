//go:build !unix

package exp

import "time"

func cpuTime() (time.Duration, bool) { return 0, false }
