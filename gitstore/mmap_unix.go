//go:build unix && !linux

package gitstore

import "syscall"

const mapFlags = syscall.MAP_SHARED
