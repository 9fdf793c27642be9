package gitstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/klauspost/compress/zlib"
)

// packMin is the number of objects from which writeObjects writes one pack instead of loose objects.
const packMin = 128

// serialMax is the number of objects up to which writeObjects writes them one after the other: the three trees of a
// run's record (root, fan-out, experiment) are written in ~0.3 ms, where starting goroutines for them and waiting for
// the last took 0.8–3 ms on a busy machine (issue 19).
const serialMax = 4

var packTypes = map[string]byte{"commit": 1, "tree": 2, "blob": 3, "tag": 4}

// hashObject is the id of an object, computed without storing it.
func (w *objectWriter) hashObject(typ string, data []byte) string {
	h := w.newHash()
	h.Write([]byte(typ + " " + strconv.Itoa(len(data)) + "\x00"))
	h.Write(data)
	return fmt.Sprintf("%x", h.Sum(nil))
}

// writeObjects stores objects of one type and returns their ids, in order. Many of them (a bulk edit of thousands
// of experiments writes a note and two trees each) go into one pack through `git index-pack --stdin`, which checks
// every object and installs the pack whole: one file, where loose objects are thousands, each a create and a
// rename that a busy file system makes slow. A few are written loose, several at a time.
func (s *Store) writeObjects(ctx context.Context, typ string, datas [][]byte) ([]string, error) {
	oids := make([]string, len(datas))
	if len(datas) <= serialMax {
		for i, d := range datas {
			var err error
			if oids[i], err = s.objs.write(typ, d); err != nil {
				return nil, err
			}
		}
		return oids, nil
	}
	if len(datas) < packMin {
		errs := make([]error, len(datas))
		sem := make(chan struct{}, 8)
		var wg sync.WaitGroup
		for i, d := range datas {
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				oids[i], errs[i] = s.objs.write(typ, d)
			})
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return nil, err
			}
		}
		return oids, nil
	}
	seen := map[string]bool{}
	var unique [][]byte
	for i, d := range datas {
		oids[i] = s.objs.hashObject(typ, d)
		if !seen[oids[i]] {
			seen[oids[i]] = true
			unique = append(unique, d)
		}
	}
	pack := encodePack(s.objs, typ, unique)
	// `git prune` deletes the temporary files of a pack being written (tmp_pack_*) and `git repack` empty
	// directories: like a loose object, the pack is written again when that happens.
	for try := 0; ; try++ {
		_, err := s.Git.RunWith(ctx, bytes.NewReader(pack), nil, "index-pack", "--stdin")
		if err == nil {
			break
		}
		if try >= 4 || ctx.Err() != nil {
			return nil, fmt.Errorf("cannot write to the object database: %w", err)
		}
		time.Sleep(time.Duration(50<<try) * time.Millisecond)
	}
	for i, d := range datas {
		s.objs.note(oids[i], typ, d, "")
	}
	return oids, nil
}

// encodePack encodes objects of one type as a version 2 pack (no deltas), with the repository's hash as trailer.
func encodePack(w *objectWriter, typ string, datas [][]byte) []byte {
	var buf bytes.Buffer
	buf.WriteString("PACK")
	buf.Write(binary.BigEndian.AppendUint32(nil, 2))
	buf.Write(binary.BigEndian.AppendUint32(nil, uint32(len(datas))))
	zw := zlibWriters.Get().(*zlib.Writer)
	defer zlibWriters.Put(zw)
	for _, d := range datas {
		// Type and size: 3 bits of type and 4 of size in the first byte, then 7 bits of size a byte.
		size := len(d)
		b := packTypes[typ]<<4 | byte(size&0x0f)
		size >>= 4
		for size > 0 {
			buf.WriteByte(b | 0x80)
			b = byte(size & 0x7f)
			size >>= 7
		}
		buf.WriteByte(b)
		zw.Reset(&buf)
		zw.Write(d)
		zw.Close()
	}
	h := w.newHash()
	h.Write(buf.Bytes())
	return h.Sum(buf.Bytes())
}
