package logstore

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unsafe"
)

// snapshotData is the state captured for a snapshot. Accounts and resources
// are immutable strings; user sets and cold sets are captured as copies of
// their small integer slices and the list of their sealed arena chunks, which
// no write touches any more, so the snapshot is written without holding a
// lock.
type snapshotData struct {
	seq       uint64
	accounts  []string
	resources []string
	sets      []*setBlock
	coldCur   uint32 // the cold segment appended to, and its length
	coldSize  int64
	segLive   map[uint32]int
}

// setBlock is a captured user set (kindUserSet, name = account id) or cold
// set (kindColdSet, name = kind).
type setBlock struct {
	kind   byte
	name   string
	arena  *arena // the live set's, compacted once the snapshot is written
	refs   *[]ref
	chunks [][]byte // the sealed chunks
	n      int      // slots captured
	refAt  func(slot uint32) ref
	order  []uint32
	tables [][]uint64
	live   int
	users  *userSet // a user set, which must be told when the reading ends
	// compacted holds the records; the writer fills it, writes it, and
	// compact makes it the set's arena. A user set's records are laid out
	// in listing order (clustered), so that a ListUsers page reads one
	// stretch of memory, and at holds where each slot's record went; the
	// file numbers the slots in that order too. Other sets stay in slot
	// order.
	compacted []byte
	at        []ref
}

// capture takes what a snapshot needs; the caller holds wmu, so nothing
// changes meanwhile. A user set is not copied (see userCapture); a cold set,
// which is small, is.
func (s *Store) capture(seq uint64) *snapshotData {
	d := &snapshotData{seq: seq, coldCur: s.cold.cur, coldSize: s.cold.size, segLive: map[uint32]int{}}
	for _, rec := range s.st.accounts {
		d.accounts = append(d.accounts, rec)
	}
	for _, m := range s.st.resources {
		for _, rec := range m {
			d.resources = append(d.resources, rec)
		}
	}
	for seg, n := range s.st.segLive {
		if n > 0 {
			d.segLive[seg] = n
		}
	}
	for id, set := range s.st.users {
		sealed := set.arena.seal()
		c := &userCapture{refs: set.refs[:len(set.refs):len(set.refs)], sealed: sealed,
			ids: set.ids.tab, emails: set.emails.tab, order: set.order[:len(set.order):len(set.order)], undo: map[uint32]ref{}}
		set.reading = c
		d.sets = append(d.sets, &setBlock{kind: kindUserSet, name: id, arena: &set.arena, refs: &set.refs,
			chunks: set.arena.chunks[:sealed:sealed], n: len(c.refs), refAt: c.ref, order: c.order,
			tables: [][]uint64{c.ids, c.emails}, live: set.live, users: set})
	}
	for kind, set := range s.st.cold {
		if set.mostlyDead() {
			// Most of it deleted (audit retention): drop the dead slots.
			fresh := set.rebuilt()
			s.mu.Lock()
			s.st.cold[kind] = fresh
			s.mu.Unlock()
			set = fresh
		}
		sealed := set.arena.seal()
		refs := cloneSlice(set.refs)
		d.sets = append(d.sets, &setBlock{kind: kindColdSet, name: kind, arena: &set.arena, refs: &set.refs,
			chunks: set.arena.chunks[:sealed:sealed], n: len(refs), refAt: func(slot uint32) ref { return refs[slot] },
			order: cloneSlice(set.order), tables: [][]uint64{cloneSlice(set.ids.tab)}, live: set.live})
	}
	return d
}

// release ends the reading of the captured user sets; the caller holds wmu.
func (d *snapshotData) release() {
	for _, b := range d.sets {
		if b.users != nil {
			b.users.reading = nil
		}
	}
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
// mu. A set replaced since the capture (by a reset) is left alone: its arena
// is no longer the captured one.
func (s *Store) compact(d *snapshotData) {
	for _, b := range d.sets {
		if b.compacted == nil || !s.holds(b) {
			continue
		}
		refs := *b.refs
		sealed := len(b.chunks)
		off := 0
		for i := range refs {
			r := refs[i]
			switch {
			case i < b.n && r.chunk() < sealed:
				if b.at != nil {
					refs[i] = b.at[i]
				} else {
					refs[i] = makeRef(0, off)
				}
			case r.chunk() >= sealed:
				refs[i] = makeRef(r.chunk()-sealed+1, r.offset())
			}
			if i < b.n && b.at == nil {
				n, k := binary.Uvarint(b.compacted[off:])
				off += k + int(n)
			}
		}
		chunks := make([][]byte, 0, 1+len(b.arena.chunks)-sealed)
		chunks = append(chunks, b.compacted[:len(b.compacted):len(b.compacted)])
		b.arena.chunks = append(chunks, b.arena.chunks[sealed:]...)
		b.arena.sealed = 0
		b.compacted, b.at = nil, nil
	}
}

// holds reports whether the captured set is still the state's.
func (s *Store) holds(b *setBlock) bool {
	switch b.kind {
	case kindUserSet:
		set := s.st.users[b.name]
		return set != nil && &set.arena == b.arena
	case kindColdSet:
		set := s.st.cold[b.name]
		return set != nil && &set.arena == b.arena
	}
	return false
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

func writeSnapshot(fs fileSystem, dir string, d *snapshotData) (int64, error) {
	final := filepath.Join(dir, snapName(d.seq))
	tmp := final + ".tmp"
	f, err := fs.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return 0, err
	}
	defer fs.Remove(tmp)
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
	// The cold tail comes first: loading cuts the segment back to it before
	// anything else is read.
	tail := encoder{}
	tail.uint(uint64(d.coldCur))
	tail.uint(uint64(d.coldSize))
	entry(kindColdTail, string(tail.b))
	for _, rec := range d.accounts {
		entry(kindAccount, rec)
	}
	for _, rec := range d.resources {
		entry(kindResource, rec)
	}
	for _, b := range d.sets {
		b.compact()
		scratch = writeSet(put, scratch, b)
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
	if err := fs.Rename(tmp, final); err != nil {
		return 0, err
	}
	return info.Size(), fs.SyncDir(dir)
}

// compact copies the block's records into one buffer.
func (b *setBlock) compact() {
	buf := make([]byte, 0, b.live+b.n)
	add := func(slot uint32) {
		r := b.refAt(slot)
		rec := recordAt(b.chunks[r.chunk()], r.offset())
		buf = binary.AppendUvarint(buf, uint64(len(rec)))
		buf = append(buf, rec...)
	}
	if b.kind == kindUserSet && len(b.order) == b.n {
		b.at = make([]ref, b.n)
		for _, slot := range b.order {
			b.at[slot] = makeRef(0, len(buf))
			add(slot)
		}
	} else {
		for slot := range b.n {
			add(uint32(slot))
		}
	}
	b.compacted = buf
}

// writeSet writes kind | name | uvarint count | uvarint records length | the
// records in slot order | order as u32s | each index table's length and u64s,
// little-endian. Reading it back is a sequential scan and a few copies: no
// key is hashed again.
func writeSet(put func([]byte), scratch []byte, b *setBlock) []byte {
	scratch = append(scratch[:0], b.kind)
	scratch = binary.AppendUvarint(scratch, uint64(len(b.name)))
	scratch = append(scratch, b.name...)
	scratch = binary.AppendUvarint(scratch, uint64(b.n))
	scratch = binary.AppendUvarint(scratch, uint64(len(b.compacted)))
	scratch = binary.AppendUvarint(scratch, uint64(len(b.order)))
	put(scratch)
	put(b.compacted)
	// Clustered: the file's slot i is the record at position i of the
	// order, so its order is the identity and the tables are renumbered.
	var renumber []uint32
	if b.at != nil {
		renumber = make([]uint32, len(b.order))
		for i, slot := range b.order {
			renumber[slot] = uint32(i)
		}
	}
	const block = 8 << 10
	scratch = scratch[:0]
	for i, v := range b.order {
		if renumber != nil {
			v = uint32(i)
		}
		scratch = binary.LittleEndian.AppendUint32(scratch, v)
		if len(scratch) >= block {
			put(scratch)
			scratch = scratch[:0]
		}
	}
	for _, tab := range b.tables {
		scratch = binary.AppendUvarint(scratch, uint64(len(tab)))
		for _, v := range tab {
			if renumber != nil && v != 0 {
				v = v>>32<<32 | uint64(renumber[uint32(v)-1]+1)
			}
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

// loadSnapshot reads a snapshot in one sequential read. A set's records stay
// in that one buffer, which becomes the first chunk of its arena, so loading a
// million users allocates a handful of large blocks. It also cuts the cold
// segment back to the length the snapshot recorded.
func loadSnapshot(fs fileSystem, path string, seq uint64, cold *coldFiles) (*state, int64, error) {
	data, err := fs.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	return parseSnapshot(path, data, seq, cold)
}

// parseSnapshot builds the state from a snapshot file's bytes, which the
// user and cold sets keep as their first arena chunk.
func parseSnapshot(path string, data []byte, seq uint64, cold *coldFiles) (*state, int64, error) {
	// at is where the entry being read began, for the error.
	at := 0
	badAt := func(off int, why string) (*state, int64, error) {
		return nil, 0, &CorruptError{Path: path, Offset: int64(off), Why: "snapshot " + why}
	}
	bad := func(why string) (*state, int64, error) { return badAt(at, why) }
	if len(data) < len(snapMagic)+8+5 {
		return badAt(0, fmt.Sprintf("too short (%d bytes)", len(data)))
	}
	magic := string(data[:len(snapMagic)])
	if magic != snapMagic && magic != snapMagicV1 {
		return badAt(0, "bad magic number")
	}
	body := data[:len(data)-4]
	if crc32.Checksum(body, castagnoli) != binary.LittleEndian.Uint32(data[len(data)-4:]) || body[len(body)-1] != 0 {
		return badAt(len(body), fmt.Sprintf("checksum mismatch: the CRC-32C there does not match bytes 0..%d", len(body)))
	}
	if binary.LittleEndian.Uint64(data[len(snapMagic):]) != seq {
		return badAt(len(snapMagic), "sequence number does not match the file name")
	}
	st := newState()
	ap := &applier{st: st, cold: cold}
	resumed := false
	if magic == snapMagicV1 {
		// Format 1 kept cold records in memory: they are written to a
		// fresh segment as they are read.
		if err := cold.resume(1, 0); err != nil {
			return nil, 0, err
		}
		resumed = true
	}
	entries := len(snapMagic) + 8
	d := decoder{s: bytesToString(body[entries : len(body)-1])}
	end := len(body) - 1
	for len(d.s) > 0 && d.err == nil {
		at = end - len(d.s)
		switch kind := d.byte(); kind {
		case kindColdTail:
			t := decoder{s: d.str()}
			cur, size := t.uint(), t.uint()
			if t.err != nil || cur == 0 || cur >= 1<<32 || resumed {
				return bad("cold tail")
			}
			if err := cold.resume(uint32(cur), int64(size)); err != nil {
				return nil, 0, err
			}
			resumed = true
		case kindUserSet:
			acct := d.str()
			set := &userSet{}
			tables, err := readSet(&d, &set.arena, &set.refs, &set.order, 2, func(rec string) bool { return len(rec) > 0 && rec[0] == userFormat })
			if err != nil {
				return bad("users of " + acct + ": " + err.Error())
			}
			set.ids, set.emails = tables[0], tables[1]
			if set.ids.n != len(set.refs) || set.emails.n != len(set.refs) {
				return bad("users of " + acct + ": index size")
			}
			set.live = len(set.arena.chunks[0])
			// The key must not pin the snapshot buffer once compaction has
			// replaced the records it holds.
			st.users[strings.Clone(acct)] = set
		case kindColdSet:
			k := d.str()
			set := &coldSet{}
			tables, err := readSet(&d, &set.arena, &set.refs, &set.order, 1, func(string) bool { return true })
			if err != nil {
				return bad(k + ": " + err.Error())
			}
			set.ids = tables[0]
			for _, r := range set.refs {
				rec := set.arena.get(r)
				if e, ok := decodeColdEntry(rec); ok {
					st.segLive[e.loc.seg]++
					set.live += recordSize(len(rec))
				}
			}
			st.cold[strings.Clone(k)] = set
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
			if !resumed {
				return bad("no cold tail")
			}
			if err := ap.apply(kind, d.str()); err != nil {
				return bad(err.Error())
			}
		}
	}
	if d.err != nil {
		return bad(d.err.Error())
	}
	if !resumed {
		return bad("no cold tail")
	}
	return st, int64(len(data)), nil
}

// readSet reads what writeSet wrote, after the name: the records become the
// arena's one chunk, each checked by valid.
func readSet(d *decoder, a *arena, refs *[]ref, order *[]uint32, ntables int, valid func(string) bool) ([]index, error) {
	n, size, norder := d.uint(), d.uint(), d.uint()
	if d.err != nil || size > uint64(len(d.s)) || n > size || n >= 1<<32 || norder > n {
		return nil, errCorrupt
	}
	recs := d.s[:size]
	d.s = d.s[size:]
	*refs = make([]ref, n)
	off := 0
	for i := range *refs {
		(*refs)[i] = makeRef(0, off)
		v, k := uvarintString(recs[off:])
		if k <= 0 || v > uint64(len(recs)-off-k) || !valid(recs[off+k:off+k+int(v)]) {
			return nil, errCorrupt
		}
		off += k + int(v)
	}
	if off != len(recs) {
		return nil, errCorrupt
	}
	// The records are never written to: the chunk's capacity ends with them.
	chunk := unsafe.Slice(unsafe.StringData(recs), len(recs))
	a.chunks = [][]byte{chunk[:len(chunk):len(chunk)]}
	if uint64(len(d.s)) < 4*norder {
		return nil, errCorrupt
	}
	*order = make([]uint32, norder)
	for i := range *order {
		v := le32(d.s[4*i:])
		if uint64(v) >= n {
			return nil, errCorrupt
		}
		(*order)[i] = v
	}
	d.s = d.s[4*norder:]
	tables := make([]index, ntables)
	for t := range tables {
		x := &tables[t]
		size := d.uint()
		if d.err != nil || (size != 0 && size < 8) || size&(size-1) != 0 || size > uint64(len(d.s))/8 {
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
		d.s = d.s[8*size:]
	}
	return tables, nil
}

// le32 and le64 read little-endian integers from a string without copying it.
func le32(s string) uint32 {
	_ = s[3]
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}

func le64(s string) uint64 { return uint64(le32(s)) | uint64(le32(s[4:]))<<32 }
