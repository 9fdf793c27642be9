//go:build !linux

package gitstore

import "unsafe"

func hugePages(unsafe.Pointer, uintptr) {}
