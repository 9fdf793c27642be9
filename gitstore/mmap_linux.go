package gitstore

import (
	"syscall"
	"unsafe"
)

// The cache is read whole, so its pages are mapped at once rather than one fault at a time.
const mapFlags = syscall.MAP_SHARED | syscall.MAP_POPULATE

// hugePages asks for transparent huge pages (where the system allows them on request) for the whole 2 MiB pages of
// a large allocation the caller is about to fill: the experiments of a large cache fill about 70 MB at 100,000, and
// faulting it in 4 KiB pages cost a third of a warm listing's time (bench/list.sh).
func hugePages(p unsafe.Pointer, size uintptr) {
	const huge = 2 << 20
	start := (uintptr(p) + huge - 1) &^ (huge - 1)
	end := (uintptr(p) + size) &^ (huge - 1)
	if end > start {
		syscall.Syscall(syscall.SYS_MADVISE, start, end-start, 14) // MADV_HUGEPAGE; advice only, errors ignored
	}
}
