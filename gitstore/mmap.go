//go:build unix

package gitstore

import (
	"os"
	"syscall"
)

// mapFile maps a file read-only for the life of the process (the cache is only ever replaced by rename, never
// rewritten in place, so the mapping stays valid), falling back to reading it.
func mapFile(path string) ([]byte, error) {
	data, err := mapReadOnly(path, 1, errCache, mapFlags)
	if err != nil && err != errCache && !os.IsNotExist(err) {
		return os.ReadFile(path)
	}
	return data, err
}

// mapReadOnly maps a file of at least minSize bytes (tooSmall otherwise) read-only with flags.
func mapReadOnly(path string, minSize int64, tooSmall error, flags int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() < minSize || st.Size() > 1<<40 {
		return nil, tooSmall
	}
	return syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ, flags)
}
