// Package logstore is a durable openchime.Store that keeps every record in
// memory and persists transactions to an append-only log with group commit,
// compacted by periodic snapshots.
//
// A directory holds:
//
//	LOCK                 flock'ed while a process has the store open
//	snap-<seq>.bin       the state after transaction seq (the newest one counts)
//	wal-<seq>.log        the frames of transactions seq, seq+1, ...
//
// Update serializes writers with one lock, runs the callback against an
// overlay (so a failing callback writes nothing), appends the transaction's
// frame to the log, applies it to memory and returns once an fsync covering
// the frame is done; the fsync is shared by every transaction that committed
// meanwhile. View runs under a read lock and, before returning, waits until
// the transactions it could see are durable, so no reader acts on a write a
// crash could still undo. When the log outgrows half the last snapshot (at
// least 64 MiB) a background checkpoint writes a new snapshot and drops the
// log it covers, which keeps start-up time bounded.
package logstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"

	openchime "github.com/openchime/openchime"
)

// Options tune a store.
type Options struct {
	// NoSync skips fsync: an acknowledged write then survives the server's
	// crash (it is in the kernel's page cache) but not a power loss or a
	// kernel crash. The default, false, fsyncs the log before acknowledging.
	NoSync bool
	// CheckpointBytes is the log size that triggers a snapshot; 0 means half
	// the size of the last snapshot, at least 64 MiB.
	CheckpointBytes int64

	fs fileSystem // nil: the real one; the tests inject faults
}

// Store is the log-structured store.
type Store struct {
	dir  string
	opts Options
	lock *os.File
	fs   fileSystem

	wmu   sync.Mutex   // serializes writers
	mu    sync.RWMutex // guards st and seq against readers
	st    *state
	seq   uint64 // last applied transaction
	frame []byte // the frame being built, under wmu
	wal   *wal
	cold  *coldFiles
	// walStart is the first seq of the current log file; snapSeq and
	// snapSize describe the newest snapshot (snapSize is read after
	// commits, outside the writer lock).
	walStart, snapSeq uint64
	snapSize          atomic.Int64
	closed            bool

	ckptMu      sync.Mutex // one checkpoint at a time
	ckptRunning atomic.Bool
	ckptWG      sync.WaitGroup
}

var _ openchime.Store = (*Store)(nil)

const minCheckpointBytes = 64 << 20

// Open opens or creates the store in dir with the default options.
func Open(dir string) (*Store, error) { return OpenOptions(dir, Options{}) }

// OpenOptions opens or creates the store in dir.
func OpenOptions(dir string, opts Options) (*Store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	s := &Store{dir: dir, opts: opts, lock: lock, fs: opts.fs}
	if s.fs == nil {
		s.fs = osFS{}
	}
	if err := s.recover(); err != nil {
		if s.cold != nil {
			s.cold.close()
		}
		lock.Close()
		return nil, err
	}
	return s, nil
}

func snapName(seq uint64) string { return fmt.Sprintf("snap-%016x.bin", seq) }
func walName(seq uint64) string  { return fmt.Sprintf("wal-%016x.log", seq) }

// listFiles returns the seqs of the snapshots and logs in dir, ascending;
// with clean it removes the temporary files of an interrupted checkpoint.
func listFiles(dir string, clean bool) (snaps, wals []uint64, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasSuffix(name, ".tmp") {
			if clean {
				os.Remove(filepath.Join(dir, name))
			}
			continue
		}
		var prefix string
		var list *[]uint64
		switch {
		case strings.HasPrefix(name, "snap-") && strings.HasSuffix(name, ".bin"):
			prefix, list = "snap-", &snaps
		case strings.HasPrefix(name, "wal-") && strings.HasSuffix(name, ".log"):
			prefix, list = "wal-", &wals
		default:
			continue
		}
		seq, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(name, prefix), filepath.Ext(name)), 16, 64)
		if err != nil {
			continue
		}
		*list = append(*list, seq)
	}
	slices.Sort(snaps)
	slices.Sort(wals)
	return snaps, wals, nil
}

// recover loads the directory, drops a torn tail and opens the last log for
// appending.
func (s *Store) recover() error {
	rep, err := s.load(false)
	if err != nil {
		return err
	}
	var f file
	var size int64
	if n := len(rep.logs); n > 0 {
		last := rep.logs[n-1]
		f, err = s.fs.OpenFile(last.path, os.O_RDWR, 0o644)
		if err != nil {
			return err
		}
		if last.scan.end < last.size {
			// The zeroed preallocation, or a torn tail: a frame that was
			// being written when the process or the machine stopped,
			// never acknowledged.
			if err := f.Truncate(int64(last.scan.end)); err != nil {
				f.Close()
				return err
			}
			if err := f.Sync(); err != nil {
				f.Close()
				return err
			}
		}
		s.walStart, size = last.start, int64(last.scan.end)
	} else {
		if f, err = s.createWAL(s.seq + 1); err != nil {
			return err
		}
		s.walStart = s.seq + 1
	}
	s.wal = newWAL(f, size, s.seq, s.opts.NoSync)
	return nil
}

// loadReport is what load read; verify prints it.
type loadReport struct {
	snapshot    string // the snapshot loaded, "" for none
	snapBytes   int64
	older       []string // superseded snapshots, left to the next checkpoint
	coldRecords int      // cold records the snapshot refers to, all verified
	logs        []logFile
	skipped     []string // logs the snapshot covers whole, not read
}

type logFile struct {
	path  string
	start uint64
	size  int
	scan  logScan
}

// load reads the newest snapshot, verifies the cold records it refers to and
// replays the logs after it into s.st and s.seq. With dry (verify) it changes
// no file. Damage is a *CorruptError; only the last log may end torn.
func (s *Store) load(dry bool) (*loadReport, error) {
	snaps, wals, err := listFiles(s.dir, !dry)
	if err != nil {
		return nil, err
	}
	rep := &loadReport{}
	s.st = newState()
	s.cold = newColdFiles(s.dir, s.fs)
	s.cold.dry = dry
	if len(snaps) > 0 {
		seq := snaps[len(snaps)-1]
		path := filepath.Join(s.dir, snapName(seq))
		st, size, err := loadSnapshot(s.fs, path, seq, s.cold)
		if err != nil {
			return nil, err
		}
		s.st, s.seq, s.snapSeq = st, seq, seq
		s.snapSize.Store(size)
		rep.snapshot, rep.snapBytes = path, size
		for _, v := range snaps[:len(snaps)-1] {
			rep.older = append(rep.older, filepath.Join(s.dir, snapName(v)))
		}
		if rep.coldRecords, err = s.cold.verifyRecords(st); err != nil {
			return nil, err
		}
	} else if err := s.cold.resume(1, 0); err != nil {
		return nil, err
	}
	ap := &applier{st: s.st, cold: s.cold}
	base := s.seq
	for i, start := range wals {
		path := filepath.Join(s.dir, walName(start))
		if i+1 < len(wals) && wals[i+1] <= base+1 {
			// Every frame of it is in the snapshot: a crash came between
			// the snapshot's rename and the log's removal.
			rep.skipped = append(rep.skipped, path)
			continue
		}
		if start > s.seq+1 {
			return nil, &CorruptError{Path: path, Why: fmt.Sprintf("the log begins at transaction %d, but the state before it ends at %d: a log is missing", start, s.seq), Repairable: false}
		}
		data, err := s.fs.ReadFile(path)
		if err != nil {
			return nil, err
		}
		first := true
		scan, err := scanLog(path, data, i == len(wals)-1, func(off int, seq uint64, payload []byte) error {
			if first && seq != start {
				return fmt.Errorf("the log's first transaction is %d, its name says %d", seq, start)
			}
			first = false
			if seq <= s.seq {
				return nil
			}
			if seq != s.seq+1 {
				return fmt.Errorf("transaction %d follows %d", seq, s.seq)
			}
			if _, err := ap.applyPayload(payload); err != nil {
				return err
			}
			s.seq = seq
			return nil
		})
		if err != nil {
			return nil, err
		}
		rep.logs = append(rep.logs, logFile{path: path, start: start, size: len(data), scan: scan})
	}
	return rep, nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func (s *Store) createWAL(start uint64) (file, error) {
	f, err := s.fs.OpenFile(filepath.Join(s.dir, walName(start)), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	if err := s.fs.SyncDir(s.dir); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func readSeq(payload []byte) (uint64, error) {
	seq, n := binary.Uvarint(payload)
	if n <= 0 {
		return 0, errCorrupt
	}
	return seq, nil
}

// applyPayload applies the entries of one transaction and returns its seq.
func (a *applier) applyPayload(payload []byte) (uint64, error) {
	seq, n := binary.Uvarint(payload)
	if n <= 0 {
		return 0, errCorrupt
	}
	entries := bytesToString(payload[n:])
	if err := a.writeCold(entries); err != nil {
		return 0, err
	}
	d := decoder{s: entries}
	for len(d.s) > 0 {
		kind := d.byte()
		body := d.str()
		if d.err != nil {
			return 0, d.err
		}
		if err := a.apply(kind, body); err != nil {
			return 0, err
		}
	}
	a.flush()
	return seq, nil
}

var errClosed = errors.New("logstore: the store is closed")

// Update implements openchime.Store.
func (s *Store) Update(ctx context.Context, fn func(openchime.Tx) error) error {
	s.wmu.Lock()
	if s.closed {
		s.wmu.Unlock()
		return errClosed
	}
	if err := s.wal.failed(); err != nil {
		s.wmu.Unlock()
		return unavailable(err)
	}
	t := &wtx{s: s, base: readTx{st: s.st, cold: s.cold}}
	if err := fn(t); err != nil {
		s.wmu.Unlock()
		return err
	}
	if t.empty() {
		seen := s.seq
		s.wmu.Unlock()
		return unavailable(s.wal.wait(seen))
	}
	var entries func(kind, id string) ([]openchime.IndexEntry, bool)
	if len(t.entries) > 0 { // a method value allocates: none on the hot path
		entries = t.indexEntries
	}
	return s.commit(func(b []byte) []byte { return t.appendEntries(b) }, t.slotOf, entries)
}

// commit writes one transaction whose entries appendEntries writes; the
// caller holds wmu, which commit releases.
func (s *Store) commit(appendEntries func([]byte) []byte, slots func(accountID, id string) (uint32, bool),
	entries func(kind, id string) ([]openchime.IndexEntry, bool)) error {
	seq := s.seq + 1
	b := appendFrameHeader(s.frame[:0])
	b = binary.AppendUvarint(b, seq)
	b = appendEntries(b)
	finishFrame(b, 0)
	if cap(b) <= 1<<20 {
		s.frame = b
	}
	if err := s.wal.reserve(len(b)); err != nil {
		s.wmu.Unlock()
		return writeRefused(err, s.wal.failed() != nil)
	}
	s.mu.Lock()
	ap := applier{st: s.st, cold: s.cold, slots: slots, entries: entries}
	_, err := ap.applyPayload(b[frameHeader:])
	if err == nil {
		s.seq = seq
	}
	s.mu.Unlock()
	if err != nil {
		s.wmu.Unlock()
		return writeRefused(err, false)
	}
	s.wal.append(b, seq)
	s.wmu.Unlock()
	s.maybeCheckpoint()
	return unavailable(s.wal.wait(seq))
}

func unavailable(err error) error {
	if err == nil {
		return nil
	}
	return &openchime.Error{Code: openchime.ServiceUnavailable, Message: "The store cannot write its log; the server must be restarted.", Err: err}
}

// writeRefused is the error of a transaction refused before it was applied,
// when extending the log or writing a cold record failed: a full disk is a
// 503 that passes once there is space again, and leaves the store as it was.
func writeRefused(err error, logFailed bool) error {
	switch {
	case errors.Is(err, syscall.ENOSPC):
		return &openchime.Error{Code: openchime.ServiceUnavailable, Message: "The disk is full: the write was not applied. Writes resume once there is space.", Err: err}
	case logFailed:
		return unavailable(err)
	}
	return err
}

// View implements openchime.Store.
func (s *Store) View(ctx context.Context, fn func(openchime.ReadTx) error) error {
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return errClosed
	}
	seen := s.seq
	err := fn(readTx{st: s.st, cold: s.cold})
	s.mu.RUnlock()
	if werr := s.wal.wait(seen); werr != nil {
		return unavailable(werr)
	}
	return err
}

// Reset implements openchime.Store.
func (s *Store) Reset(ctx context.Context) error {
	s.wmu.Lock()
	if s.closed {
		s.wmu.Unlock()
		return errClosed
	}
	return s.commit(func(b []byte) []byte { return append(b, kindReset, 0) }, nil, nil)
}

// Close checkpoints, so the next start reads one snapshot, and releases the
// directory.
func (s *Store) Close() error {
	s.ckptWG.Wait()
	err := s.Checkpoint()
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.closed {
		return err
	}
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	err = errors.Join(err, s.wal.close(), s.cold.close(), s.lock.Close())
	return err
}

func (s *Store) checkpointThreshold() int64 {
	if s.opts.CheckpointBytes > 0 {
		return s.opts.CheckpointBytes
	}
	return max(minCheckpointBytes, s.snapSize.Load()/2)
}

func (s *Store) maybeCheckpoint() {
	if s.wal.bytes() < s.checkpointThreshold() || !s.ckptRunning.CompareAndSwap(false, true) {
		return
	}
	s.ckptWG.Add(1)
	go func() {
		defer s.ckptWG.Done()
		defer s.ckptRunning.Store(false)
		s.Checkpoint() // on failure the log keeps growing; the next attempt retries
	}()
}

// Checkpoint writes a snapshot of the current state and removes the log and
// snapshots it supersedes.
func (s *Store) Checkpoint() error {
	s.ckptMu.Lock()
	defer s.ckptMu.Unlock()
	s.wmu.Lock()
	if s.closed {
		s.wmu.Unlock()
		return errClosed
	}
	if s.seq == s.snapSeq {
		s.wmu.Unlock()
		return nil
	}
	seq := s.seq
	if s.walStart != seq+1 {
		// A failed log must not get a successor: its last frames may not
		// be on disk, and the next log would begin after them.
		if err := s.wal.drain(); err != nil {
			s.wmu.Unlock()
			return err
		}
		f, err := s.createWAL(seq + 1)
		if err != nil {
			s.wmu.Unlock()
			return err
		}
		old, err := s.wal.rotate(f)
		if err != nil {
			f.Close()
			s.wmu.Unlock()
			return err
		}
		old.Close()
		s.walStart = seq + 1
	}
	data := s.capture(seq)
	s.wmu.Unlock()

	// The snapshot refers to cold records by place: they must be on disk
	// first.
	err := s.cold.sync()
	var size int64
	if err == nil {
		size, err = writeSnapshot(s.fs, s.dir, data)
	}
	if err != nil {
		s.wmu.Lock()
		data.release()
		s.wmu.Unlock()
		return err
	}
	s.wmu.Lock()
	s.snapSeq = seq
	s.snapSize.Store(size)
	s.mu.Lock()
	s.compact(data)
	data.release()
	s.mu.Unlock()
	s.wmu.Unlock()
	snaps, wals, err := listFiles(s.dir, false)
	if err != nil {
		return err
	}
	for _, v := range snaps {
		if v < seq {
			s.fs.Remove(filepath.Join(s.dir, snapName(v)))
		}
	}
	for _, v := range wals {
		if v <= seq {
			s.fs.Remove(filepath.Join(s.dir, walName(v)))
		}
	}
	s.cold.drop(data.coldCur, data.segLive)
	return s.fs.SyncDir(s.dir)
}
