package logstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"sync"
	"sync/atomic"
)

// The log is a sequence of frames, one per transaction:
//
//	u32 payload length | u32 CRC-32C of the payload | payload
//	payload = uvarint seq | entries
//	entry   = kind byte | uvarint body length | body
//
// A frame whose length or CRC does not check is a torn write of a crash: it
// and everything after it are dropped on open (they were never acknowledged,
// since Update returns only after the frame's fsync).

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

const frameHeader = 8

// maxFrame bounds a frame's length so a corrupt length is not allocated.
const maxFrame = 1 << 30

// wal appends frames to the current log file with group commit: one writer
// goroutine writes everything appended since its last write and fsyncs once
// for all of it, so N concurrent transactions share one fsync.
type wal struct {
	mu      sync.Mutex
	work    *sync.Cond // signals the flusher
	done    *sync.Cond // signals waiters that durable advanced or err was set
	f       file
	cur     file   // the file off and alloc describe; the flusher's
	buf     []byte // frames not yet written
	spare   []byte
	bufSeq  uint64 // seq of the last frame in buf
	durable atomic.Uint64
	busy    bool // the flusher is writing outside mu
	closed  bool
	err     error
	size    int64 // bytes of the current file, pending frames included
	// alloc is how far the current file is preallocated with zeros:
	// overwriting allocated blocks lets fdatasync skip the journal commit
	// an append's size change needs (several times faster on ext4), and a
	// full disk shows when the space is reserved, before a transaction is
	// applied, rather than in the middle of its frame. off is where the
	// next write goes; only the flusher uses it.
	off, alloc int64
	noSync     bool
	stopped    chan struct{}
}

func newWAL(f file, size int64, durable uint64, noSync bool) *wal {
	w := &wal{f: f, size: size, off: size, alloc: size, noSync: noSync, stopped: make(chan struct{})}
	w.work = sync.NewCond(&w.mu)
	w.done = sync.NewCond(&w.mu)
	w.cur = f
	w.durable.Store(durable)
	w.bufSeq = durable
	go w.flusher()
	return w
}

// append queues a frame; the caller then waits for seq with wait. Frames
// are appended in seq order (the store's writer lock guarantees it).
func (w *wal) append(frame []byte, seq uint64) {
	w.mu.Lock()
	w.buf = append(w.buf, frame...)
	w.bufSeq = seq
	w.size += int64(len(frame))
	w.work.Signal()
	w.mu.Unlock()
}

// wait returns once the frame of seq is durable, or the log failed.
func (w *wal) wait(seq uint64) error {
	if w.durable.Load() >= seq {
		return nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.durable.Load() < seq && w.err == nil {
		w.done.Wait()
	}
	if w.durable.Load() >= seq {
		return nil
	}
	return w.err
}

func (w *wal) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

func (w *wal) flusher() {
	defer close(w.stopped)
	w.mu.Lock()
	for {
		for len(w.buf) == 0 && !w.closed {
			w.work.Wait()
		}
		if len(w.buf) == 0 && w.closed {
			w.mu.Unlock()
			return
		}
		b, seq, f := w.buf, w.bufSeq, w.f
		if f != w.cur {
			w.cur, w.off = f, 0
		}
		w.buf, w.busy = w.spare[:0], true
		failed := w.err != nil
		w.mu.Unlock()
		var err error
		if !failed {
			err = w.write(f, b)
		}
		w.mu.Lock()
		w.busy = false
		if cap(b) <= 4<<20 {
			w.spare = b[:0]
		} else {
			w.spare = nil
		}
		if err != nil && w.err == nil {
			w.err = fmt.Errorf("logstore: write log: %w", err) // see fail
		}
		if w.err == nil {
			w.durable.Store(seq)
		}
		w.done.Broadcast()
	}
}

// preallocChunk is how much zeroed space the log file grows by at a time; a
// variable for the tests.
var preallocChunk int64 = 8 << 20

var zeros [1 << 20]byte

// reserve makes sure the log file has zeroed room for n more bytes after the
// frames queued, extending it and syncing the extension when it has not (the
// sync also makes the new size durable). The caller holds the store's writer
// lock, so nothing is queued meanwhile, and calls it before applying the
// transaction: a full disk then refuses the transaction whole, damages
// nothing, and the next one tries again. A failed sync is another matter:
// see fail.
func (w *wal) reserve(n int) error {
	w.mu.Lock()
	f, need, alloc, err := w.f, w.size+int64(n), w.alloc, w.err
	w.mu.Unlock()
	if err != nil || need <= alloc {
		return err
	}
	end := alloc + max(preallocChunk, need-alloc)
	for pos := alloc; pos < end; pos += int64(len(zeros)) {
		if _, err := f.WriteAt(zeros[:min(int64(len(zeros)), end-pos)], pos); err != nil {
			return err // zeros past the last frame: nothing to undo
		}
	}
	if !w.noSync {
		if err := f.Sync(); err != nil {
			w.fail(err)
			return w.failed()
		}
	}
	w.mu.Lock()
	if w.f == f {
		w.alloc = end
	}
	w.mu.Unlock()
	return nil
}

// fail records the first failure to write or sync the log. After it the
// file's content is unknown: a failed fsync may have dropped pages that a
// later fsync would not report again (PostgreSQL's "fsyncgate"), so the
// store acknowledges nothing more, neither the writes waiting nor any later
// one, until it is restarted and recovery reads what the disk really holds.
func (w *wal) fail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = fmt.Errorf("logstore: write log: %w", err)
		w.done.Broadcast()
	}
}

// write writes b after the last frame, into the space reserve zeroed, and
// syncs it. A crash leaves zeros after the last frame, which recovery reads
// as the end of the log. A failed write is overwritten with zeros, if the
// disk still takes that, so that a restart finds the log's end where the
// last acknowledged frame ends.
func (w *wal) write(f file, b []byte) error {
	if _, err := f.WriteAt(b, w.off); err != nil {
		for p := 0; p < len(b); p += len(zeros) {
			f.WriteAt(zeros[:min(len(zeros), len(b)-p)], w.off+int64(p))
		}
		return err
	}
	w.off += int64(len(b))
	if w.noSync {
		return nil
	}
	return f.Datasync()
}

// drain waits until every appended frame is written and synced.
func (w *wal) drain() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for (len(w.buf) > 0 || w.busy) && w.err == nil {
		w.done.Wait()
	}
	return w.err
}

// rotate makes f the file later frames go to and returns the previous one.
// The caller holds the store's writer lock, so nothing is appended meanwhile.
func (w *wal) rotate(f file) (file, error) {
	if err := w.drain(); err != nil {
		return nil, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	old := w.f
	w.f, w.size, w.alloc = f, 0, 0
	return old, nil
}

func (w *wal) bytes() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.size
}

func (w *wal) close() error {
	err := w.drain()
	w.mu.Lock()
	w.closed = true
	w.work.Signal()
	w.mu.Unlock()
	<-w.stopped
	return errors.Join(err, w.f.Close())
}

// appendFrameHeader reserves the header of a frame in b; finishFrame fills it.
func appendFrameHeader(b []byte) []byte { return append(b, make([]byte, frameHeader)...) }

func finishFrame(b []byte, start int) {
	payload := b[start+frameHeader:]
	binary.LittleEndian.PutUint32(b[start:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(b[start+4:], crc32.Checksum(payload, castagnoli))
}

// nextFrame returns the payload of the frame at the start of b and its total
// length, or ok=false when the frame is incomplete or its CRC does not check.
func nextFrame(b []byte) (payload []byte, n int, ok bool) {
	if len(b) < frameHeader {
		return nil, 0, false
	}
	size := binary.LittleEndian.Uint32(b)
	if size == 0 {
		return nil, 0, false // the zeroed preallocation after the last frame
	}
	if size > maxFrame || int(size) > len(b)-frameHeader {
		return nil, 0, false
	}
	payload = b[frameHeader : frameHeader+int(size)]
	if crc32.Checksum(payload, castagnoli) != binary.LittleEndian.Uint32(b[4:]) {
		return nil, 0, false
	}
	return payload, frameHeader + int(size), true
}
