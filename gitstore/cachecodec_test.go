package gitstore

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strconv"
	"testing"
)

// fill sets every field reachable from v to a distinct non-zero value, so a field the codec forgets fails the
// round trip.
func fill(v reflect.Value, n *int) {
	*n++
	switch v.Kind() {
	case reflect.String:
		v.SetString("s" + strconv.Itoa(*n))
	case reflect.Int, reflect.Int64:
		v.SetInt(int64(*n))
	case reflect.Uint64:
		v.SetUint(uint64(*n))
	case reflect.Float64:
		v.SetFloat(float64(*n) + 0.5)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), n)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			v.SetBytes([]byte(`{"k` + strconv.Itoa(*n) + `":1}`))
			return
		}
		s := reflect.MakeSlice(v.Type(), 2, 2)
		for i := 0; i < 2; i++ {
			fill(s.Index(i), n)
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k, n)
		fill(e, n)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), n)
			}
		}
	}
}

func TestCacheCodecRoundTrip(t *testing.T) {
	var e Experiment
	n := 0
	fill(reflect.ValueOf(&e).Elem(), &n)
	e.ID = "0123456789abcdef"
	e.objects = objParams | objResults
	// The same fields as the experiment before (written as references to it), and a short id that is a prefix.
	e2 := e
	e2.ID, e2.ShortID = "1123456789abcdef", "1123456"
	e2.Started, e2.Updated = e2.Created, e2.Ended
	e2.objects = objResults
	// Every field different from the one before, empty lists where it has some.
	var e3 Experiment
	e3.ID, e3.Tags, e3.Argv, e3.Git.Skipped = "2123456789abcdef", []string{}, []string{}, []string{}
	c := &cacheFile{Tip: "tip", RootTree: "root", Fanout: map[string]string{"01": "x"},
		List: []*Experiment{&e, &e2, &e3}, BaseID: "base"}
	got, err := decodeCache(encodeCache(c))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range c.List {
		if len(got.List) != 3 || !reflect.DeepEqual(got.List[i], want) {
			t.Errorf("round trip lost fields (a field added to Experiment or Manifest must be added to cachecodec.go):\n got  %+v\n want %+v", got.List[i], want)
		}
	}
	var alone, after cacheEnc
	alone.experiment(&e2, nil)
	after.experiment(&e2, &e)
	if len(after.b) > len(alone.b)-60 {
		t.Errorf("the fields an experiment shares with the one before take %d bytes again (%d alone)", len(after.b), len(alone.b))
	}
	if got.Tip != "tip" || got.RootTree != "root" || got.Fanout["01"] != "x" || got.BaseID != "base" {
		t.Errorf("header lost: %+v", got)
	}
	if !got.inBase(got.List[0]) || got.inBase(&e) {
		t.Errorf("inBase does not tell the base's experiments from others")
	}

	d := &cacheDelta{BaseID: "base", Tip: "tip2", RootTree: "root2", Fanout: map[string]string{"02": "y"},
		Dropped: []string{"a", "b"}, List: []*Experiment{&e, &e2, &e3}}
	gd, err := decodeDelta(encodeDelta(d))
	if err != nil {
		t.Fatal(err)
	}
	if len(gd.List) != 3 || !reflect.DeepEqual(gd.List[1], &e2) || !reflect.DeepEqual(gd.List[2], &e3) {
		t.Errorf("delta round trip lost fields:\n got  %+v\n want %+v", gd.List, e)
	}
	gd.List = d.List
	if !reflect.DeepEqual(gd, d) {
		t.Errorf("delta header lost: %+v, want %+v", gd, d)
	}
}

func FuzzDecodeDelta(f *testing.F) {
	var e Experiment
	n := 0
	fill(reflect.ValueOf(&e).Elem(), &n)
	f.Add(encodeDelta(&cacheDelta{BaseID: "b", Fanout: map[string]string{"00": "x"}, Dropped: []string{"x"}, List: []*Experiment{&e}}))
	f.Add(append([]byte(nil), deltaMagic...))
	f.Fuzz(func(t *testing.T, data []byte) {
		decodeDelta(data) // a corrupt delta is an error, never a panic
	})
}

func FuzzDecodeCache(f *testing.F) {
	var e Experiment
	n := 0
	fill(reflect.ValueOf(&e).Elem(), &n)
	f.Add(encodeCache(&cacheFile{Fanout: map[string]string{}, List: []*Experiment{&e}}))
	f.Add(append([]byte(nil), cacheMagic...))
	f.Fuzz(func(t *testing.T, data []byte) {
		decodeCache(data) // a corrupt cache is an error, never a panic
	})
}

// Issue 14, item 13: any single flipped bit in a base or a delta is detected (a 64-bit XXH3 misses one with odds 2^-64),
// so the cache is rebuilt instead of giving wrong answers.
func TestCacheBitFlipsDetected(t *testing.T) {
	var list []*Experiment
	for i := range 2*cacheBlock + 3 { // three blocks, the last one short
		var e Experiment
		n := i
		fill(reflect.ValueOf(&e).Elem(), &n)
		e.ID = fmt.Sprintf("%016x", i)
		list = append(list, &e)
	}
	base := encodeCache(&cacheFile{Tip: "t", RootTree: "r", Fanout: map[string]string{"00": "x"}, List: list, BaseID: "b"})
	if _, err := decodeCache(base); err != nil {
		t.Fatal(err)
	}
	delta := encodeDelta(&cacheDelta{BaseID: "b", Tip: "t2", Fanout: map[string]string{"01": "y"}, Dropped: []string{"z"}, List: list[:3]})
	if _, err := decodeDelta(delta); err != nil {
		t.Fatal(err)
	}
	// every bit of the delta; of the base, the first and last 16 bytes and a random sample of bits elsewhere
	for bit := 0; bit < 8*len(delta); bit++ {
		b := append([]byte(nil), delta...)
		b[bit/8] ^= 1 << (bit % 8)
		if _, err := decodeDelta(b); err == nil {
			t.Fatalf("delta with bit %d flipped decoded without error", bit)
		}
	}
	var bits []int
	for i := range 8 * 16 {
		bits = append(bits, i, 8*len(base)-1-i)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		bits = append(bits, r.IntN(8*len(base)))
	}
	if testing.Short() {
		bits = bits[:64]
	}
	for _, bit := range bits {
		base[bit/8] ^= 1 << (bit % 8)
		_, err := decodeCache(base)
		base[bit/8] ^= 1 << (bit % 8)
		if err == nil {
			t.Fatalf("base with bit %d (of %d) flipped decoded without error", bit, 8*len(base))
		}
	}
}
