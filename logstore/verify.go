package logstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Verify reads every file of the store in dir as an open would, without
// changing any: the newest snapshot (checksum and structure), every cold
// record it refers to, every frame of every log (checksum, sequence, and
// that it applies), and the checksum of older snapshots. It writes what it
// checked to w and returns the first damage as a *CorruptError. It takes the
// directory's lock, so it refuses to run while a server has the store open.
func Verify(dir string, w io.Writer) error {
	s, unlock, err := openDry(dir)
	if err != nil {
		return err
	}
	defer unlock()
	rep, err := s.load(true)
	if err != nil {
		return err
	}
	if rep.snapshot == "" {
		fmt.Fprintln(w, "no snapshot")
	} else {
		users := 0
		for _, set := range s.st.users {
			users += set.ids.n
		}
		fmt.Fprintf(w, "%s: %d bytes, checksum and structure ok: transaction %d, %d accounts, %d users, %d other records\n",
			rep.snapshot, rep.snapBytes, s.snapSeq, len(s.st.accounts), users, countResources(s.st))
		fmt.Fprintf(w, "cold segments: %d records the snapshot refers to, each within its segment and matching its checksum\n", rep.coldRecords)
	}
	for _, path := range rep.older {
		if err := checkSnapshotSum(path); err != nil {
			return err
		}
		fmt.Fprintf(w, "%s: superseded, checksum ok; the next checkpoint removes it\n", path)
	}
	for _, path := range rep.skipped {
		fmt.Fprintf(w, "%s: every transaction in it is in the snapshot, not read; the next checkpoint removes it\n", path)
	}
	for _, l := range rep.logs {
		fmt.Fprintf(w, "%s: %d frames", l.path, l.scan.frames)
		if l.scan.frames > 0 {
			fmt.Fprintf(w, " (transactions %d..%d)", l.scan.first, l.scan.last)
		}
		fmt.Fprintf(w, ", checksums ok, in sequence, applied")
		switch {
		case l.scan.torn > 0:
			fmt.Fprintf(w, "; a torn frame of %d bytes at offset %d, never acknowledged, which the next open drops", l.scan.torn, l.scan.end)
		case l.scan.end < l.size:
			fmt.Fprintf(w, "; zeros from offset %d", l.scan.end)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "ok: the store holds transactions up to %d\n", s.seq)
	return nil
}

func countResources(st *state) int {
	n := 0
	for _, m := range st.resources {
		n += len(m)
	}
	for _, set := range st.cold {
		n += set.ids.n
	}
	return n
}

// openDry makes a store that load reads in dry mode, holding dir's lock.
func openDry(dir string) (*Store, func(), error) {
	if info, err := os.Stat(dir); err != nil {
		return nil, nil, err
	} else if !info.IsDir() {
		return nil, nil, fmt.Errorf("logstore: %s is not a directory", dir)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("%w; stop the server first", err)
	}
	s := &Store{dir: dir, fs: osFS{}}
	return s, func() {
		if s.cold != nil {
			s.cold.close()
		}
		lock.Close()
	}, nil
}

func checkSnapshotSum(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if len(data) < len(snapMagic)+8+5 {
		return &CorruptError{Path: path, Why: "snapshot too short"}
	}
	body := data[:len(data)-4]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(data[len(data)-4:]) {
		return &CorruptError{Path: path, Offset: int64(len(body)), Why: "snapshot checksum mismatch"}
	}
	return nil
}

// RepairReport is what Repair did.
type RepairReport struct {
	Cut     string   // the log cut, "" if nothing was
	Offset  int64    // where
	Kept    string   // the copy of the log as it was
	Moved   []string // later logs, renamed aside (with the same suffix)
	LastSeq uint64   // the last transaction the store keeps
	// Dropped is how many transactions are cut: the damaged frame and the
	// valid frames found after it, up to MaxDropped.
	Dropped    uint64
	MaxDropped uint64
}

// Repair cuts the log at the last good frame before the damage an open
// refuses (the model is etcd's wal.Repair): the damaged log is first copied
// whole to NAME.broken-TIME, then truncated there, and any later log is
// renamed aside the same way, since its transactions can no longer follow.
// It refuses damage it cannot repair (a snapshot, a cold segment, a missing
// log) and, holding the directory's lock, refuses to run while a server has
// the store open. With no damage it changes nothing and returns a zero
// report.
func Repair(dir string) (*RepairReport, error) {
	s, unlock, err := openDry(dir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	_, err = s.load(true)
	if err == nil {
		return &RepairReport{LastSeq: s.seq}, nil
	}
	var ce *CorruptError
	if !errors.As(err, &ce) || !ce.Repairable {
		return nil, fmt.Errorf("logstore: cannot repair this: %w", err)
	}
	rep := &RepairReport{Cut: ce.Path, Offset: ce.Offset, LastSeq: s.seq}
	suffix := ".broken-" + time.Now().UTC().Format("20060102T150405Z")
	data, err := os.ReadFile(ce.Path)
	if err != nil {
		return nil, err
	}
	// What is dropped: every valid frame found after the damage, here and
	// in the later logs.
	// Frames are numbered in order, each log on from the one before, so
	// each search looks for a frame numbered after the last one found.
	after := s.seq
	seen := func(b []byte) {
		budget := searchBudget(b)
		for p := 0; ; p++ {
			at, ok := nextValidFrame(b, p, after, &budget)
			if !ok {
				return
			}
			payload, n, _ := nextFrame(b[at:])
			if seq, err := readSeq(payload); err == nil {
				after = seq
				rep.MaxDropped = max(rep.MaxDropped, seq)
			}
			p = at + n - 1
		}
	}
	seen(data[ce.Offset:])
	_, wals, err := listFiles(dir, false)
	if err != nil {
		return nil, err
	}
	var later []string
	for _, v := range wals {
		if p := filepath.Join(dir, walName(v)); p > ce.Path {
			later = append(later, p)
			b, err := os.ReadFile(p)
			if err != nil {
				return nil, err
			}
			seen(b)
		}
	}
	rep.Dropped = 1 // the damaged frame
	if rep.MaxDropped > s.seq {
		rep.Dropped = rep.MaxDropped - s.seq
	}
	rep.Kept = ce.Path + suffix
	if err := writeSynced(rep.Kept, data); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(ce.Path, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	err = f.Truncate(ce.Offset)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	for _, p := range later {
		if err := os.Rename(p, p+suffix); err != nil {
			return nil, err
		}
		rep.Moved = append(rep.Moved, p+suffix)
	}
	return rep, osFS{}.SyncDir(dir)
}

func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
