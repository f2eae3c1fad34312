//go:build !unix

package logstore

import (
	"os"
	"path/filepath"
)

// lockDir opens dir/LOCK; without flock, nothing stops a second process.
func lockDir(dir string) (*os.File, error) {
	return os.OpenFile(filepath.Join(dir, "LOCK"), os.O_RDWR|os.O_CREATE, 0o644)
}
