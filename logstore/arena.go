package logstore

import (
	"encoding/binary"
	"math/bits"
)

// The user set is built of flat, pointer-free blocks (byte chunks, integer
// slices) so that a garbage collection has almost nothing to mark however many
// users are stored. An earlier design kept a *struct per user behind two
// map[string]*struct indexes: at a million users every collection marked
// millions of pointers, and that was most of the batch workload's p99
// (BENCHMARKS.md, "Garbage collection is most of the batch tail").

// ref locates a record in an arena: chunk number << 40 | byte offset. The
// record is stored as uvarint length + bytes.
type ref uint64

const refOffsetBits = 40

func (r ref) chunk() int  { return int(r >> refOffsetBits) }
func (r ref) offset() int { return int(r & (1<<refOffsetBits - 1)) }

func makeRef(chunk, off int) ref { return ref(uint64(chunk)<<refOffsetBits | uint64(off)) }

const (
	minChunk = 4 << 10
	maxChunk = 8 << 20
)

// arena holds records in a few large byte chunks. A record is appended and
// never changed afterwards, so a decoded user may share its bytes (as a
// string) and a checkpoint can read sealed chunks without a lock; a
// superseded record stays until the next checkpoint compacts the arena.
type arena struct {
	chunks [][]byte
	// sealed is the number of chunks no append may touch: a checkpoint is
	// reading them.
	sealed int
}

func recordSize(n int) int { return uvarintLen(uint64(n)) + n }

func uvarintLen(v uint64) int { return (bits.Len64(v|1) + 6) / 7 }

// add appends a record and returns where it is.
func (a *arena) add(rec string) ref {
	need := recordSize(len(rec))
	last := len(a.chunks) - 1
	if last < a.sealed || cap(a.chunks[last])-len(a.chunks[last]) < need {
		size := minChunk
		if last >= 0 {
			size = min(maxChunk, 2*cap(a.chunks[last]))
		}
		a.chunks = append(a.chunks, make([]byte, 0, max(size, need)))
		last++
	}
	c := a.chunks[last]
	off := len(c)
	c = binary.AppendUvarint(c, uint64(len(rec)))
	a.chunks[last] = append(c, rec...)
	return makeRef(last, off)
}

// get returns the record at r, sharing the arena's memory.
func (a *arena) get(r ref) string {
	return recordAt(a.chunks[r.chunk()], r.offset())
}

func recordAt(c []byte, off int) string {
	n, k := binary.Uvarint(c[off:])
	return bytesToString(c[off+k : off+k+int(n)])
}

// seal makes the current chunks read-only: the next record starts a new
// chunk. It returns how many chunks are sealed.
func (a *arena) seal() int {
	a.sealed = len(a.chunks)
	return a.sealed
}

// index maps a key (a user id or a normalised email) to a slot number. It is
// an open-addressing table with linear probing over a power-of-two []uint64
// whose entries are the key's 32-bit hash tag << 32 | slot+1 (0 is empty), so
// it holds no pointer, and a checkpoint writes it out and a start reads it back
// as one block instead of re-inserting every key. The caller resolves the
// candidates a probe finds by comparing the key with the slot's record.
type index struct {
	tab []uint64
	n   int
}

func newIndex(n int) index {
	size := 8
	for size*3 < n*4 { // keep the load under 3/4
		size *= 2
	}
	return index{tab: make([]uint64, size)}
}

// keyHash is FNV-1a with a final mix, so the low bits (the probe start) and
// the high bits (the tag) both depend on every byte. It must not change: the
// tables are persisted.
func keyHash(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	return h
}

// find returns the slot whose key matches, calling match for each candidate
// with the same tag.
func (x *index) find(h uint64, match func(slot uint32) bool) (uint32, bool) {
	if len(x.tab) == 0 {
		return 0, false
	}
	mask := uint64(len(x.tab) - 1)
	tag := h >> 32
	for i := tagStart(tag, mask); ; i = (i + 1) & mask {
		e := x.tab[i]
		if e == 0 {
			return 0, false
		}
		if e>>32 == tag && match(uint32(e)-1) {
			return uint32(e) - 1, true
		}
	}
}

func (x *index) insert(h uint64, slot uint32) {
	if (x.n+1)*4 > len(x.tab)*3 {
		x.grow()
	}
	x.place(h>>32<<32 | uint64(slot+1))
	x.n++
}

// place puts an entry in the first free position of its probe sequence.
func (x *index) place(e uint64) {
	mask := uint64(len(x.tab) - 1)
	// The tag is the hash's high half; the probe starts at its low bits,
	// which are not stored, so an entry is re-placed by its tag alone after
	// a growth. Mixing the tag spreads entries well enough.
	i := tagStart(e>>32, mask)
	for x.tab[i] != 0 {
		i = (i + 1) & mask
	}
	x.tab[i] = e
}

// tagStart is where the probe for a tag starts. Lookups use the same start,
// so the table depends on the tag only, never on hash bits it does not keep.
func tagStart(tag, mask uint64) uint64 {
	return (tag * 0x9e3779b97f4a7c15 >> 17) & mask
}

func (x *index) grow() {
	old := x.tab
	x.tab = make([]uint64, max(8, 2*len(old)))
	for _, e := range old {
		if e != 0 {
			x.place(e)
		}
	}
}

// remove deletes the entry of the slot under the hash, shifting later
// entries of the cluster back so that every probe still finds them.
func (x *index) remove(h uint64, slot uint32) {
	if len(x.tab) == 0 {
		return
	}
	mask := uint64(len(x.tab) - 1)
	want := h>>32<<32 | uint64(slot+1)
	i := tagStart(h>>32, mask)
	for x.tab[i] != want {
		if x.tab[i] == 0 {
			return
		}
		i = (i + 1) & mask
	}
	x.n--
	for {
		x.tab[i] = 0
		j := i
		for {
			j = (j + 1) & mask
			e := x.tab[j]
			if e == 0 {
				return
			}
			// e may move to i if its home is not in (i, j] cyclically.
			home := tagStart(e>>32, mask)
			if (j > i && (home <= i || home > j)) || (j < i && home <= i && home > j) {
				x.tab[i] = e
				i = j
				break
			}
		}
	}
}
