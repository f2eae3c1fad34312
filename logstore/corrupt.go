package logstore

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"path/filepath"
)

// Telling a torn tail from corruption. The model is etcd's WAL
// (server/storage/wal/decoder.go and repair.go): a record whose CRC fails is
// ErrCRCMismatch and stops the server, unless it is the last record of the
// last file and one of its 512-byte sectors is all zeros (isTornEntry: the
// write never reached that sector); wal.Repair then cuts the file at the last
// good record and keeps a ".broken" copy. SQLite's WAL and PostgreSQL's WAL
// instead take the first invalid frame or record as the end of the log, which
// is what lost acknowledged writes silently here; PostgreSQL's data page
// checksums refuse, as we do.
//
// We are stricter than etcd in three ways, because a wrong "torn" verdict
// throws away acknowledged writes:
//   - only the last log can end torn: a log is synced whole before the next
//     one is created, and a frame is acknowledged only after its fsync;
//   - a frame whose stored length is damaged (its CRC matches another length)
//     is corruption, even if the length it claims reaches the zeroed space;
//   - a valid frame anywhere after the bad one is corruption. (A power loss in
//     the middle of a group commit can leave one too, as sectors reach the
//     disk in any order; then the store refuses to open and `openchime
//     repair` drops the unacknowledged frames, where etcd would repair by
//     itself. Refusing is the side to err on.)

// sectorSize is the unit a disk writes whole or not at all, as etcd assumes.
// minTornZeros is the least run of zeros that counts as a missing sector:
// a few zeros at the end of a damaged frame (a reset's payload ends with
// one) must not pass for a torn write.
const (
	sectorSize   = 512
	minTornZeros = 32
)

// CorruptError is damage the store will not open past: a log frame, a
// snapshot or a cold record that does not verify.
type CorruptError struct {
	Path   string
	Offset int64
	Why    string
	// Repairable is set for log damage: `openchime repair` cuts the log at
	// Offset. A damaged snapshot or cold segment can only be restored.
	Repairable bool
}

func (e *CorruptError) Error() string {
	what := "restore the directory from a backup (a damaged snapshot or cold segment cannot be repaired)"
	if e.Repairable {
		what = "run `openchime repair --db log:" + filepath.Dir(e.Path) + "` to cut the log at the last good frame (it keeps a copy of what it cuts and says how many transactions it drops), or restore the directory from a backup"
	}
	return fmt.Sprintf("logstore: %s is damaged at offset %d: %s; the store refuses to open rather than lose acknowledged writes: %s", e.Path, e.Offset, e.Why, what)
}

// logScan is what scanLog found in one log file.
type logScan struct {
	end         int    // offset after the last good frame
	frames      int    // good frames
	first, last uint64 // their seqs
	torn        int    // bytes of a torn tail after end (last log only), 0 if none
}

// scanLog calls fn for each good frame of a log file's data, in order, and
// classifies what follows the last one: nothing or zeros (the preallocation),
// a torn tail (only if last), or damage, returned as a *CorruptError.
func scanLog(path string, data []byte, last bool, fn func(off int, seq uint64, payload []byte) error) (logScan, error) {
	var r logScan
	off := 0
	for off < len(data) {
		payload, n, ok := nextFrame(data[off:])
		if !ok {
			break
		}
		seq, err := readSeq(payload)
		if err == nil && fn != nil {
			err = fn(off, seq, payload)
		}
		if err != nil {
			return r, &CorruptError{Path: path, Offset: int64(off), Why: err.Error(), Repairable: true}
		}
		if r.frames == 0 {
			r.first = seq
		}
		r.frames++
		r.last = seq
		off += n
	}
	r.end = off
	if allZero(data[off:]) {
		return r, nil
	}
	bad := func(why string) (logScan, error) {
		return r, &CorruptError{Path: path, Offset: int64(off), Why: why, Repairable: true}
	}
	if !last {
		return bad("a frame that does not verify, in a log that was complete before the next one began")
	}
	if !tornFrame(data, off) {
		return bad("a frame that fails its checksum and is no torn write (no sector of it is missing)")
	}
	if n, ok := damagedLength(data, off); ok {
		return bad(fmt.Sprintf("the frame's length field is damaged: its checksum matches %d bytes of payload", n))
	}
	budget := searchBudget(data)
	if at, ok := nextValidFrame(data, off+1, r.last, &budget); ok {
		return bad(fmt.Sprintf("a torn frame followed by a valid frame at offset %d", at))
	}
	if budget < 0 {
		return bad("a torn frame followed by more damaged data than can be searched for a valid frame")
	}
	r.torn = len(data) - off
	return r, nil
}

// frameExtent is how far the frame at off claims to reach.
func frameExtent(data []byte, off int) int {
	if len(data)-off < frameHeader {
		return len(data)
	}
	size := binary.LittleEndian.Uint32(data[off:])
	if size == 0 || size > maxFrame {
		return off + frameHeader
	}
	return off + frameHeader + int(size)
}

// tornFrame reports whether the frame at off looks like a write that did not
// finish: it runs past the end of the file, or one of the sectors it covers
// (the part of it from off, at least minTornZeros long) is all zeros, as
// etcd's isTornEntry.
func tornFrame(data []byte, off int) bool {
	end := frameExtent(data, off)
	if end > len(data) {
		return true
	}
	for p := off; p < end; {
		q := min(end, (p/sectorSize+1)*sectorSize)
		if (q-p >= minTornZeros || end-off < minTornZeros) && allZero(data[p:q]) {
			return true
		}
		p = q
	}
	return false
}

// damagedLength reports whether the frame at off has a sound checksum for a
// payload of another length than its header says: then it was written whole
// and its length field was damaged since. Only the bytes up to the last
// non-zero one (and a sector more, for a payload that ends with zeros) are
// tried, which bounds the work by the tail's size.
func damagedLength(data []byte, off int) (int, bool) {
	if len(data)-off < frameHeader {
		return 0, false
	}
	want := binary.LittleEndian.Uint32(data[off+4:])
	stop := len(data)
	for stop > off && data[stop-1] == 0 {
		stop--
	}
	stop = min(len(data), stop+sectorSize)
	crc := uint32(0)
	for p := off + frameHeader; p < stop && p-off-frameHeader < maxFrame; p++ {
		crc = crc32.Update(crc, castagnoli, data[p:p+1])
		if crc == want {
			return p + 1 - off - frameHeader, true
		}
	}
	return 0, false
}

// seqWindow is how far past the last good frame's seq a frame found after
// damage may be numbered: nextValidFrame checksums only candidates whose
// payload starts with such a seq, which rules out almost every offset of
// damaged or unrelated bytes before any checksum is computed.
const seqWindow = 1 << 16

// searchBudget is how many bytes nextValidFrame may checksum in data. It is
// a backstop for bytes the seq test does not rule out: each candidate whose
// length field fits is checksummed whole, and unbounded, a search over a
// damaged 64 MiB tail took minutes.
func searchBudget(data []byte) int { return 64*len(data) + 64<<20 }

// nextValidFrame returns the offset of the first frame at or after from that
// verifies and is numbered in (after, after+seqWindow]. It spends budget on
// the bytes it checksums; when the budget goes below zero it gives up, and
// the caller must not read that as "no frame".
func nextValidFrame(data []byte, from int, after uint64, budget *int) (int, bool) {
	for p := from; p+frameHeader < len(data); p++ {
		size := binary.LittleEndian.Uint32(data[p:])
		if size == 0 || size > maxFrame || int(size) > len(data)-p-frameHeader {
			continue
		}
		if seq, err := readSeq(data[p+frameHeader : p+frameHeader+int(size)]); err != nil || seq <= after || seq > after+seqWindow {
			continue
		}
		if *budget -= int(size); *budget < 0 {
			return 0, false
		}
		if _, _, ok := nextFrame(data[p:]); ok {
			return p, true
		}
	}
	return 0, false
}
