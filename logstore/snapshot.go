package logstore

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"unsafe"
)

// snapshotData is the state captured for a snapshot. Accounts and resources
// are immutable strings; a user set is captured as copies of its small
// integer slices and the list of its sealed arena chunks, which no write
// touches any more, so the snapshot is written without holding a lock.
type snapshotData struct {
	seq       uint64
	accounts  []string
	resources []string
	users     []*userBlock
}

type userBlock struct {
	accountID   string
	set         *userSet // the live set, compacted once the snapshot is written
	chunks      [][]byte // the sealed chunks
	refs        []ref
	order       []uint32
	ids, emails []uint64
	live        int
	// compacted holds the live records in slot order; the writer fills
	// it, writes it, and compact makes it the set's arena.
	compacted []byte
}

// capture copies what a snapshot needs; the caller holds wmu, so nothing
// changes meanwhile. Copying the integer slices costs a few milliseconds at a
// million users, and the writer lock is held only for that.
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
		sealed := set.arena.seal()
		d.users = append(d.users, &userBlock{
			accountID: id, set: set, chunks: set.arena.chunks[:sealed:sealed],
			refs: cloneSlice(set.refs), order: cloneSlice(set.order),
			ids: cloneSlice(set.ids.tab), emails: cloneSlice(set.emails.tab), live: set.live,
		})
	}
	return d
}

// cloneSlice copies s exactly (slices.Clone may round the capacity up).
func cloneSlice[T any](s []T) []T {
	c := make([]T, len(s))
	copy(c, s)
	return c
}

// compact makes each captured set's compacted records its arena: a record
// still in a sealed chunk was not replaced since the capture, so it is the
// compacted copy's; a later one keeps its chunk, renumbered. The superseded
// records of the sealed chunks are freed with them. The caller holds wmu and
// mu.
func (s *Store) compact(d *snapshotData) {
	for _, ub := range d.users {
		set := s.st.users[ub.accountID]
		if set != ub.set || ub.compacted == nil {
			continue // reset since the capture, or not written
		}
		sealed := len(ub.chunks)
		off := 0
		for i := range set.refs {
			r := set.refs[i]
			switch {
			case i < len(ub.refs) && r.chunk() < sealed:
				set.refs[i] = makeRef(0, off)
			case r.chunk() >= sealed:
				set.refs[i] = makeRef(r.chunk()-sealed+1, r.offset())
			}
			if i < len(ub.refs) {
				n, k := binary.Uvarint(ub.compacted[off:])
				off += k + int(n)
			}
		}
		chunks := make([][]byte, 0, 1+len(set.arena.chunks)-sealed)
		chunks = append(chunks, ub.compacted[:len(ub.compacted):len(ub.compacted)])
		set.arena.chunks = append(chunks, set.arena.chunks[sealed:]...)
		set.arena.sealed = 0
		ub.compacted = nil
	}
}

// Snapshot file: magic | u64 seq | entries | 0 | u32 CRC-32C of everything
// before it. An entry is kind, uvarint length, body for accounts and
// resources; a user set is written by writeUserSet. Format 1 (OCSNAP01),
// which rebuilt the indexes on load, is still read.
const (
	snapMagic   = "OCSNAP02"
	snapMagicV1 = "OCSNAP01"
)

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
		ub.compact()
		scratch = writeUserSet(put, scratch, ub)
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

// compact copies the block's live records, in slot order, into one buffer.
func (ub *userBlock) compact() {
	buf := make([]byte, 0, ub.live)
	for _, r := range ub.refs {
		rec := recordAt(ub.chunks[r.chunk()], r.offset())
		buf = binary.AppendUvarint(buf, uint64(len(rec)))
		buf = append(buf, rec...)
	}
	ub.compacted = buf
}

// writeUserSet writes kindUserSet | account id | uvarint count | uvarint
// records length | the records in slot order | order as u32s | ids table
// length and u64s | emails table length and u64s, little-endian. Reading it
// back is a sequential scan and three copies: no key is hashed again.
func writeUserSet(put func([]byte), scratch []byte, ub *userBlock) []byte {
	scratch = append(scratch[:0], kindUserSet)
	scratch = binary.AppendUvarint(scratch, uint64(len(ub.accountID)))
	scratch = append(scratch, ub.accountID...)
	scratch = binary.AppendUvarint(scratch, uint64(len(ub.refs)))
	scratch = binary.AppendUvarint(scratch, uint64(len(ub.compacted)))
	put(scratch)
	put(ub.compacted)
	const block = 8 << 10
	scratch = scratch[:0]
	for _, v := range ub.order {
		scratch = binary.LittleEndian.AppendUint32(scratch, v)
		if len(scratch) >= block {
			put(scratch)
			scratch = scratch[:0]
		}
	}
	for _, tab := range [][]uint64{ub.ids, ub.emails} {
		scratch = binary.AppendUvarint(scratch, uint64(len(tab)))
		for _, v := range tab {
			scratch = binary.LittleEndian.AppendUint64(scratch, v)
			if len(scratch) >= block {
				put(scratch)
				scratch = scratch[:0]
			}
		}
	}
	put(scratch)
	return scratch
}

// loadSnapshot reads a snapshot in one sequential read. A user set's records
// stay in that one buffer, which becomes the first chunk of its arena, so
// loading a million users allocates a handful of large blocks.
func loadSnapshot(path string, seq uint64) (*state, int64, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	bad := func(why string) (*state, int64, error) {
		return nil, 0, fmt.Errorf("logstore: snapshot %s is corrupt: %s", path, why)
	}
	if len(data) < len(snapMagic)+8+5 {
		return bad("bad header")
	}
	magic := string(data[:len(snapMagic)])
	if magic != snapMagic && magic != snapMagicV1 {
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
		switch kind := d.byte(); kind {
		case kindUserSet:
			acct := d.str()
			set, err := readUserSet(&d)
			if err != nil {
				return bad(err.Error())
			}
			st.users[acct] = set
		case kindUserBlock: // format 1: records in order, indexes rebuilt
			acct := d.str()
			n := d.uint()
			if n > uint64(len(d.s)) {
				return bad("user count")
			}
			for range n {
				rec := d.str()
				if d.err != nil || len(rec) == 0 || rec[0] != userFormat {
					return bad("user record")
				}
				ap.user(acct, rec)
			}
			ap.flush()
		default:
			if err := ap.apply(kind, d.str()); err != nil {
				return bad(err.Error())
			}
		}
	}
	if d.err != nil {
		return bad(d.err.Error())
	}
	return st, int64(len(data)), nil
}

// readUserSet reads what writeUserSet wrote, after the account id.
func readUserSet(d *decoder) (*userSet, error) {
	n, size := d.uint(), d.uint()
	if d.err != nil || size > uint64(len(d.s)) || n > size || n >= 1<<32 {
		return nil, errCorrupt
	}
	recs := d.s[:size]
	d.s = d.s[size:]
	set := &userSet{refs: make([]ref, n), live: int(size)}
	off := 0
	for i := range set.refs {
		set.refs[i] = makeRef(0, off)
		v, k := uvarintString(recs[off:])
		if k <= 0 || v == 0 || v > uint64(len(recs)-off-k) || recs[off+k] != userFormat {
			return nil, errCorrupt
		}
		off += k + int(v)
	}
	if off != len(recs) {
		return nil, errCorrupt
	}
	// The records are never written to: the chunk's capacity ends with them.
	chunk := unsafe.Slice(unsafe.StringData(recs), len(recs))
	set.arena.chunks = [][]byte{chunk[:len(chunk):len(chunk)]}
	if uint64(len(d.s)) < 4*n {
		return nil, errCorrupt
	}
	set.order = make([]uint32, n)
	for i := range set.order {
		v := le32(d.s[4*i:])
		if uint64(v) >= n {
			return nil, errCorrupt
		}
		set.order[i] = v
	}
	d.s = d.s[4*n:]
	for _, x := range []*index{&set.ids, &set.emails} {
		size := d.uint()
		if d.err != nil || size < 8 || size&(size-1) != 0 || size > uint64(len(d.s))/8 {
			return nil, errCorrupt
		}
		x.tab = make([]uint64, size)
		for i := range x.tab {
			e := le64(d.s[8*i:])
			if e != 0 {
				if uint64(uint32(e)) > n {
					return nil, errCorrupt
				}
				x.n++
			}
			x.tab[i] = e
		}
		if uint64(x.n) != n {
			return nil, errCorrupt
		}
		d.s = d.s[8*size:]
	}
	return set, nil
}

// le32 and le64 read little-endian integers from a string without copying it.
func le32(s string) uint32 {
	_ = s[3]
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}

func le64(s string) uint64 { return uint64(le32(s)) | uint64(le32(s[4:]))<<32 }
