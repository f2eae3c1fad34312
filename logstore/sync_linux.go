package logstore

import (
	"os"
	"syscall"
)

// syncData makes the log's appended bytes durable. fdatasync skips the
// inode times but still flushes the size an append changed, so it is enough
// for an append-only file, and measurably cheaper than fsync here.
func syncData(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }
