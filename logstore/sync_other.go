//go:build !linux

package logstore

import "os"

// syncData makes the log's appended bytes durable.
func syncData(f *os.File) error { return f.Sync() }
