package gitstore

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// The short id of each id is the shortest prefix (at least 7 characters) that no other id starts with.
func TestShortIDsOf(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var ids []string
	for i := 0; i < 3000; i++ {
		id := fmt.Sprintf("%016x", r.Uint64())
		if i%10 == 0 && len(ids) > 0 { // share a long prefix with an earlier id
			base := ids[r.IntN(len(ids))]
			k := 7 + r.IntN(9)
			id = base[:k] + id[k:]
		}
		ids = append(ids, id)
	}
	ids = append(ids, ids[5], "abc", "0123456", "01234567")
	got := shortIDsOf(ids)
	for i, id := range ids {
		l := 7
		for _, o := range ids {
			if o != id {
				l = max(l, commonPrefix(id, o)+1)
			}
		}
		if want := id[:min(l, len(id))]; got[i] != want {
			t.Errorf("short id of %s = %s, want %s", id, got[i], want)
		}
	}
}
