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
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

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
}

// Store is the log-structured store.
type Store struct {
	dir  string
	opts Options
	lock *os.File

	wmu   sync.Mutex   // serializes writers
	mu    sync.RWMutex // guards st and seq against readers
	st    *state
	seq   uint64 // last applied transaction
	frame []byte // the frame being built, under wmu
	wal   *wal
	// walStart is the first seq of the current log file; snapSeq and
	// snapSize describe the newest snapshot.
	walStart, snapSeq uint64
	snapSize          int64
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
	s := &Store{dir: dir, opts: opts, lock: lock}
	if err := s.recover(); err != nil {
		lock.Close()
		return nil, err
	}
	return s, nil
}

func snapName(seq uint64) string { return fmt.Sprintf("snap-%016x.bin", seq) }
func walName(seq uint64) string  { return fmt.Sprintf("wal-%016x.log", seq) }

// listFiles returns the seqs of the snapshots and logs in dir, ascending.
func listFiles(dir string) (snaps, wals []uint64, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasSuffix(name, ".tmp") {
			os.Remove(filepath.Join(dir, name)) // an interrupted checkpoint
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

// recover loads the newest snapshot, replays the logs after it, drops a torn
// tail and opens the last log for appending.
func (s *Store) recover() error {
	snaps, wals, err := listFiles(s.dir)
	if err != nil {
		return err
	}
	s.st = newState()
	if len(snaps) > 0 {
		seq := snaps[len(snaps)-1]
		st, size, err := loadSnapshot(filepath.Join(s.dir, snapName(seq)), seq)
		if err != nil {
			return err
		}
		s.st, s.seq, s.snapSeq, s.snapSize = st, seq, seq, size
	}
	ap := &applier{st: s.st}
	var f *os.File
	var size int64
	for i, start := range wals {
		path := filepath.Join(s.dir, walName(start))
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		off := 0
		for off < len(data) {
			payload, n, ok := nextFrame(data[off:])
			if !ok {
				break
			}
			seq, err := readSeq(payload)
			if err != nil {
				return fmt.Errorf("logstore: %s at %d: %w", path, off, err)
			}
			if seq > s.seq {
				if seq != s.seq+1 {
					return fmt.Errorf("logstore: %s at %d: transaction %d follows %d", path, off, seq, s.seq)
				}
				if _, err := ap.applyPayload(payload); err != nil {
					return fmt.Errorf("logstore: %s at %d: %w", path, off, err)
				}
				s.seq = seq
			}
			off += n
		}
		last := i == len(wals)-1
		// A log closed by a rotation ends with its zeroed preallocation.
		if off < len(data) && !last && !allZero(data[off:]) {
			return fmt.Errorf("logstore: %s is corrupt at offset %d of %d", path, off, len(data))
		}
		if last {
			f, err = os.OpenFile(path, os.O_RDWR, 0o644)
			if err != nil {
				return err
			}
			if off < len(data) {
				// A torn tail: a frame that was being written when the
				// process or the machine stopped, never acknowledged.
				if err := f.Truncate(int64(off)); err != nil {
					f.Close()
					return err
				}
				if err := f.Sync(); err != nil {
					f.Close()
					return err
				}
			}
			if _, err := f.Seek(int64(off), io.SeekStart); err != nil {
				f.Close()
				return err
			}
			s.walStart, size = start, int64(off)
		}
	}
	if f == nil {
		if f, err = s.createWAL(s.seq + 1); err != nil {
			return err
		}
		s.walStart = s.seq + 1
	}
	s.wal = newWAL(f, size, s.seq, s.opts.NoSync)
	return nil
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func (s *Store) createWAL(start uint64) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(s.dir, walName(start)), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syncDir(s.dir); err != nil {
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
	d := decoder{s: bytesToString(payload[n:])}
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
	t := &wtx{s: s, base: readTx{st: s.st}}
	if err := fn(t); err != nil {
		s.wmu.Unlock()
		return err
	}
	if t.empty() {
		seen := s.seq
		s.wmu.Unlock()
		return unavailable(s.wal.wait(seen))
	}
	return s.commit(func(b []byte) []byte { return t.appendEntries(b) })
}

// commit writes one transaction whose entries appendEntries writes; the
// caller holds wmu, which commit releases.
func (s *Store) commit(appendEntries func([]byte) []byte) error {
	seq := s.seq + 1
	b := appendFrameHeader(s.frame[:0])
	b = binary.AppendUvarint(b, seq)
	b = appendEntries(b)
	finishFrame(b, 0)
	if cap(b) <= 1<<20 {
		s.frame = b
	}
	s.mu.Lock()
	ap := applier{st: s.st}
	_, err := ap.applyPayload(b[frameHeader:])
	if err == nil {
		s.seq = seq
	}
	s.mu.Unlock()
	if err != nil {
		s.wmu.Unlock()
		return err
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

// View implements openchime.Store.
func (s *Store) View(ctx context.Context, fn func(openchime.ReadTx) error) error {
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return errClosed
	}
	seen := s.seq
	err := fn(readTx{st: s.st})
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
	return s.commit(func(b []byte) []byte { return append(b, kindReset, 0) })
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
	err = errors.Join(err, s.wal.close(), s.lock.Close())
	return err
}

func (s *Store) checkpointThreshold() int64 {
	if s.opts.CheckpointBytes > 0 {
		return s.opts.CheckpointBytes
	}
	return max(minCheckpointBytes, s.snapSize/2)
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

// snapshotData is the state captured for a snapshot: the records only, which
// are immutable strings, so it is written without holding any lock.
type snapshotData struct {
	seq       uint64
	accounts  []string
	resources []string
	users     []userBlock
}

type userBlock struct {
	accountID string
	recs      []string
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

	size, err := writeSnapshot(s.dir, data)
	if err != nil {
		return err
	}
	s.wmu.Lock()
	s.snapSeq, s.snapSize = seq, size
	s.wmu.Unlock()
	snaps, wals, err := listFiles(s.dir)
	if err != nil {
		return err
	}
	for _, v := range snaps {
		if v < seq {
			os.Remove(filepath.Join(s.dir, snapName(v)))
		}
	}
	for _, v := range wals {
		if v <= seq {
			os.Remove(filepath.Join(s.dir, walName(v)))
		}
	}
	return syncDir(s.dir)
}

// capture copies the references to every record; the caller holds wmu.
func (s *Store) capture(seq uint64) *snapshotData {
	d := &snapshotData{seq: seq}
	for _, rec := range s.st.accounts {
		d.accounts = append(d.accounts, rec)
	}
	for _, m := range s.st.resources {
		for _, rec := range m {
			d.resources = append(d.resources, rec)
		}
	}
	for id, set := range s.st.users {
		recs := make([]string, len(set.order))
		for i, r := range set.order {
			recs[i] = r.rec
		}
		d.users = append(d.users, userBlock{accountID: id, recs: recs})
	}
	return d
}

// Snapshot file: magic | u64 seq | entries (kind, uvarint length, body; a
// user block is kind, account id, count, then each record as a string) |
// 0 | u32 CRC-32C of everything before it.
const snapMagic = "OCSNAP01"

type crcWriter struct {
	w   io.Writer
	crc uint32
}

func (c *crcWriter) Write(p []byte) (int, error) {
	c.crc = crc32.Update(c.crc, castagnoli, p)
	return c.w.Write(p)
}

func writeSnapshot(dir string, d *snapshotData) (int64, error) {
	final := filepath.Join(dir, snapName(d.seq))
	tmp := final + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp)
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	cw := &crcWriter{w: bw}
	var scratch []byte
	put := func(b []byte) { cw.Write(b) }
	scratch = append(scratch[:0], snapMagic...)
	scratch = binary.LittleEndian.AppendUint64(scratch, d.seq)
	put(scratch)
	entry := func(kind byte, body string) {
		scratch = append(scratch[:0], kind)
		scratch = binary.AppendUvarint(scratch, uint64(len(body)))
		scratch = append(scratch, body...)
		put(scratch)
	}
	for _, rec := range d.accounts {
		entry(kindAccount, rec)
	}
	for _, rec := range d.resources {
		entry(kindResource, rec)
	}
	for _, ub := range d.users {
		scratch = append(scratch[:0], kindUserBlock)
		scratch = binary.AppendUvarint(scratch, uint64(len(ub.accountID)))
		scratch = append(scratch, ub.accountID...)
		scratch = binary.AppendUvarint(scratch, uint64(len(ub.recs)))
		put(scratch)
		for _, rec := range ub.recs {
			scratch = binary.AppendUvarint(scratch[:0], uint64(len(rec)))
			scratch = append(scratch, rec...)
			put(scratch)
		}
	}
	put([]byte{0})
	if err := binary.Write(bw, binary.LittleEndian, cw.crc); err != nil {
		return 0, err
	}
	if err := bw.Flush(); err != nil {
		return 0, err
	}
	if err := f.Sync(); err != nil {
		return 0, err
	}
	info, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if err := f.Close(); err != nil {
		return 0, err
	}
	if err := os.Rename(tmp, final); err != nil {
		return 0, err
	}
	return info.Size(), syncDir(dir)
}

// loadSnapshot reads a snapshot in one sequential read. The user records
// stay in that one buffer (they are never modified, an update replaces the
// record), so loading a million users allocates a handful of large blocks
// instead of a million small ones.
func loadSnapshot(path string, seq uint64) (*state, int64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	bad := func(why string) (*state, int64, error) {
		return nil, 0, fmt.Errorf("logstore: snapshot %s is corrupt: %s", path, why)
	}
	if len(data) < len(snapMagic)+8+5 || string(data[:len(snapMagic)]) != snapMagic {
		return bad("bad header")
	}
	body := data[:len(data)-4]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(data[len(data)-4:]) || body[len(body)-1] != 0 {
		return bad("checksum mismatch")
	}
	if binary.LittleEndian.Uint64(data[len(snapMagic):]) != seq {
		return bad("sequence number does not match the file name")
	}
	st := newState()
	ap := &applier{st: st}
	d := decoder{s: bytesToString(body[len(snapMagic)+8 : len(body)-1])}
	for len(d.s) > 0 && d.err == nil {
		kind := d.byte()
		if kind != kindUserBlock {
			if err := ap.apply(kind, d.str()); err != nil {
				return bad(err.Error())
			}
			continue
		}
		acct := d.str()
		n := d.uint()
		if n > uint64(len(d.s)) {
			return bad("user count")
		}
		recs := make([]urec, n)
		for i := range recs {
			recs[i].rec = d.str()
			if d.err != nil || len(recs[i].rec) == 0 || recs[i].rec[0] != userFormat {
				return bad("user record")
			}
		}
		st.users[acct] = indexUsers(recs)
	}
	if d.err != nil {
		return bad(d.err.Error())
	}
	return st, int64(len(data)), nil
}

// indexUsers builds the indexes of an account's users, which a snapshot
// holds in order. Filling a hash map of a million entries costs a cache miss
// per insert and is most of the start time, so the email index, which only
// user creation and email lookups need, fills in the background while the
// server already answers.
func indexUsers(recs []urec) *userSet {
	set := newUserSet(len(recs))
	set.emailReady = make(chan struct{})
	// The background fill reads the records as the snapshot holds them:
	// replaying the log may replace a record (urec.rec) meanwhile, and an
	// update that changes an email waits for the fill (userSet.emails).
	snapshotRecs := make([]string, len(recs))
	for i := range recs {
		snapshotRecs[i] = recs[i].rec
	}
	go func() {
		defer close(set.emailReady)
		for i, rec := range snapshotRecs {
			_, _, email := userHead(rec)
			set.byEmail[openchime.NormalizeEmail(email)] = &recs[i]
		}
	}()
	sorted := true
	var pc int64
	var pid string
	for i := range recs {
		r := &recs[i]
		created, id := userKey(r.rec)
		set.byID[id] = r
		set.order = append(set.order, r)
		if i > 0 && !keyLess(pc, pid, created, id) {
			sorted = false
		}
		pc, pid = created, id
	}
	if !sorted {
		sort.Slice(set.order, func(i, j int) bool {
			c1, id1 := userKey(set.order[i].rec)
			c2, id2 := userKey(set.order[j].rec)
			return keyLess(c1, id1, c2, id2)
		})
	}
	return set
}
