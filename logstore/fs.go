package logstore

import (
	"io"
	"os"
)

// file is what the store reads, writes and syncs its files through, and
// fileSystem how it opens them: the tests swap in a layer that injects the
// faults of a disk (a torn or short write, a failed fsync, a full disk).
type file interface {
	io.Writer
	io.ReaderAt
	io.WriterAt
	Truncate(size int64) error
	Sync() error
	// Datasync is fdatasync where there is one (see syncData).
	Datasync() error
	Stat() (os.FileInfo, error)
	Close() error
}

type fileSystem interface {
	OpenFile(name string, flag int, perm os.FileMode) (file, error)
	ReadFile(name string) ([]byte, error)
	Rename(from, to string) error
	Remove(name string) error
	// SyncDir makes a file's creation, rename or removal in dir durable.
	SyncDir(dir string) error
}

// osFS is the real file system.
type osFS struct{}

type osFile struct{ *os.File }

func (f osFile) Datasync() error { return syncData(f.File) }

func (osFS) OpenFile(name string, flag int, perm os.FileMode) (file, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return osFile{f}, nil
}

func (osFS) ReadFile(name string) ([]byte, error) { return os.ReadFile(name) }
func (osFS) Rename(from, to string) error         { return os.Rename(from, to) }
func (osFS) Remove(name string) error             { return os.Remove(name) }

func (osFS) SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
