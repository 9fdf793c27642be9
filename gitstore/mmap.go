//go:build unix

package gitstore

import (
	"os"
	"syscall"
)

// mapFile maps a file read-only for the life of the process (the cache is only ever replaced by rename, never
// rewritten in place, so the mapping stays valid), falling back to reading it.
func mapFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() == 0 || st.Size() > 1<<40 {
		return nil, errCache
	}
	data, err := syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ, mapFlags)
	if err != nil {
		return os.ReadFile(path)
	}
	return data, nil
}
