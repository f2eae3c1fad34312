package logstore

import (
	"fmt"
	"hash/crc32"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	openchime "github.com/openchime/openchime"
)

// Cold records. Audit events grow with every change and are read rarely (the
// control plane lists them), so the store keeps them on disk: the record goes
// into the transaction's log frame as any other, and is also appended to a
// cold segment file (cold-<n>.dat); memory holds only a small, pointer-free
// entry per event (time, id, scope, where it lies). Keeping them in memory, as
// every other record, made the heap and every snapshot grow by ~6 KB per batch
// call (BENCHMARKS.md).
//
// Segments are not synced on append: until a checkpoint the log holds the
// records, and replaying it after a crash appends them again (the segment is
// first cut back to the length the snapshot recorded). A checkpoint syncs the
// segments before the snapshot that refers to them is written, and removes the
// segments none of its events are in.

func isCold(kind string) bool { return kind == openchime.AuditKind }

// coldSegmentBytes is where a segment ends; a variable for the tests.
var coldSegmentBytes int64 = 64 << 20

func coldName(n uint32) string { return fmt.Sprintf("cold-%08x.dat", n) }

// coldLoc is where a cold record lies, and its checksum: sum is the CRC-32C
// of the record | 1<<32, or 0 for an entry written before records had one.
// Segments are never read whole on the request path, so each record carries
// its own check.
type coldLoc struct {
	seg      uint32
	off, len int64
	sum      uint64
}

func coldSum(rec []byte) uint64 { return uint64(crc32.Checksum(rec, castagnoli)) | 1<<32 }

// coldFiles are the cold segments of a store. Appends happen under the writer
// lock (in commit and in recovery); reads happen concurrently, from any
// transaction; a checkpoint syncs and removes segments.
type coldFiles struct {
	dir string
	fs  fileSystem
	// dry is verify's mode: nothing is written, cut or removed; appends
	// only advance the tail.
	dry bool

	mu       sync.Mutex
	files    map[uint32]file
	unsynced map[uint32]bool
	// cur is the segment appended to and size its length so far; only the
	// writer changes them.
	cur  uint32
	size int64
}

func newColdFiles(dir string, fs fileSystem) *coldFiles {
	return &coldFiles{dir: dir, fs: fs, files: map[uint32]file{}, unsynced: map[uint32]bool{}}
}

// segments lists the segment numbers in the directory.
func (c *coldFiles) segments() ([]uint32, error) {
	entries, err := os.ReadDir(c.dir)
	if err != nil {
		return nil, err
	}
	var out []uint32
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, "cold-") || !strings.HasSuffix(name, ".dat") {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(name, "cold-"), ".dat"), 16, 32)
		if err == nil {
			out = append(out, uint32(n))
		}
	}
	slices.Sort(out)
	return out, nil
}

// resume makes segment cur, cut to size, the one appended to, and removes any
// later segment: what lies beyond is what the log will append again.
func (c *coldFiles) resume(cur uint32, size int64) error {
	segs, err := c.segments()
	if err != nil {
		return err
	}
	// Refused before anything is written: the segment is created when it
	// is missing, and the later ones removed.
	if path := filepath.Join(c.dir, coldName(cur)); size > 0 {
		if _, err := os.Stat(path); os.IsNotExist(err) {
			return &CorruptError{Path: path, Why: fmt.Sprintf("the segment is missing; the snapshot refers to %d bytes of it", size)}
		}
	}
	if c.dry {
		var have int64
		if info, err := os.Stat(filepath.Join(c.dir, coldName(cur))); err == nil {
			have = info.Size()
		} else if !os.IsNotExist(err) {
			return err
		}
		if have < size {
			return &CorruptError{Path: filepath.Join(c.dir, coldName(cur)), Offset: have, Why: fmt.Sprintf("the segment has %d bytes, the snapshot refers to %d", have, size)}
		}
		c.cur, c.size = cur, size
		return nil
	}
	for _, n := range segs {
		if n > cur {
			if err := c.fs.Remove(filepath.Join(c.dir, coldName(n))); err != nil {
				return err
			}
		}
	}
	f, err := c.file(cur)
	if err != nil {
		return err
	}
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if info.Size() < size {
		return &CorruptError{Path: filepath.Join(c.dir, coldName(cur)), Offset: info.Size(), Why: fmt.Sprintf("the segment has %d bytes, the snapshot refers to %d", info.Size(), size)}
	}
	if err := f.Truncate(size); err != nil {
		return err
	}
	c.cur, c.size = cur, size
	return nil
}

// file returns segment n opened for reading and writing, creating it.
func (c *coldFiles) file(n uint32) (file, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if f := c.files[n]; f != nil {
		return f, nil
	}
	flag := os.O_RDWR | os.O_CREATE
	if c.dry {
		flag = os.O_RDONLY
	}
	f, err := c.fs.OpenFile(filepath.Join(c.dir, coldName(n)), flag, 0o644)
	if err != nil {
		return nil, err
	}
	c.files[n] = f
	return f, nil
}

// appendRecords writes the records at the end of the current segment (or a
// new one) in one write and returns where each lies. A failed write leaves
// the tail as it was: the next one writes over it.
func (c *coldFiles) appendRecords(recs []string) ([]coldLoc, error) {
	total := int64(0)
	for _, r := range recs {
		total += int64(len(r))
	}
	if c.size > 0 && c.size+total > coldSegmentBytes {
		c.cur, c.size = c.cur+1, 0
	}
	buf := make([]byte, 0, total)
	locs := make([]coldLoc, len(recs))
	for i, r := range recs {
		at := len(buf)
		buf = append(buf, r...)
		locs[i] = coldLoc{seg: c.cur, off: c.size + int64(at), len: int64(len(r)), sum: coldSum(buf[at:])}
	}
	if c.dry {
		c.size += total
		return locs, nil
	}
	f, err := c.file(c.cur)
	if err != nil {
		return nil, err
	}
	if _, err := f.WriteAt(buf, c.size); err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.unsynced[c.cur] = true
	c.mu.Unlock()
	c.size += total
	return locs, nil
}

func (c *coldFiles) read(l coldLoc) (string, error) {
	f, err := c.file(l.seg)
	if err != nil {
		return "", err
	}
	buf := make([]byte, l.len)
	if _, err := f.ReadAt(buf, l.off); err != nil {
		return "", fmt.Errorf("logstore: reading %s at %d: %w", coldName(l.seg), l.off, err)
	}
	if l.sum != 0 && coldSum(buf) != l.sum {
		return "", &CorruptError{Path: filepath.Join(c.dir, coldName(l.seg)), Offset: l.off, Why: fmt.Sprintf("the record of %d bytes there fails its checksum", l.len)}
	}
	return bytesToString(buf), nil
}

// sync makes every appended record durable, and the new segments' names.
func (c *coldFiles) sync() error {
	c.mu.Lock()
	var files []file
	for n := range c.unsynced {
		files = append(files, c.files[n])
		delete(c.unsynced, n)
	}
	c.mu.Unlock()
	for _, f := range files {
		if err := f.Sync(); err != nil {
			return err
		}
	}
	if len(files) > 0 {
		return c.fs.SyncDir(c.dir)
	}
	return nil
}

// drop removes the segments before cur that hold no live record.
func (c *coldFiles) drop(cur uint32, live map[uint32]int) {
	segs, err := c.segments()
	if err != nil {
		return
	}
	for _, n := range segs {
		if n >= cur || live[n] > 0 {
			continue
		}
		c.mu.Lock()
		if f := c.files[n]; f != nil {
			f.Close()
			delete(c.files, n)
		}
		delete(c.unsynced, n)
		c.mu.Unlock()
		c.fs.Remove(filepath.Join(c.dir, coldName(n)))
	}
}

func (c *coldFiles) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var err error
	for n, f := range c.files {
		if e := f.Close(); e != nil && err == nil {
			err = e
		}
		delete(c.files, n)
	}
	return err
}

// coldSet is the in-memory entries of one cold kind, laid out as a user set
// is: an arena of entries (created ms, id, scope, segment, offset, length), a
// slot per record, an id index (which holds the live slots only) and the slots
// in (CreatedAt, ID) order. A deleted record's slot points at an empty entry;
// it leaves the order at once when it is the first (retention deletes the
// oldest), otherwise when a checkpoint rebuilds the set.
type coldSet struct {
	arena arena
	refs  []ref
	ids   index
	order []uint32
	live  int // size of the live entries
}

type coldEntry struct {
	created   int64
	id, scope string
	loc       coldLoc
}

func encodeColdEntry(e coldEntry) string {
	enc := encoder{}
	enc.int(e.created)
	enc.str(e.id)
	enc.str(e.scope)
	enc.uint(uint64(e.loc.seg))
	enc.uint(uint64(e.loc.off))
	enc.uint(uint64(e.loc.len))
	if e.loc.sum != 0 {
		enc.uint(e.loc.sum)
	}
	return string(enc.b)
}

func decodeColdEntry(rec string) (coldEntry, bool) {
	if rec == "" {
		return coldEntry{}, false
	}
	d := decoder{s: rec}
	e := coldEntry{created: d.int(), id: d.str(), scope: d.str()}
	e.loc = coldLoc{seg: uint32(d.uint()), off: int64(d.uint()), len: int64(d.uint())}
	if len(d.s) > 0 { // entries written before records had a checksum end here
		e.loc.sum = d.uint()
	}
	return e, d.err == nil
}

func (s *coldSet) entry(slot uint32) (coldEntry, bool) {
	return decodeColdEntry(s.arena.get(s.refs[slot]))
}

func coldKey(rec string) (int64, string) {
	d := decoder{s: rec}
	return d.int(), d.str()
}

func (s *coldSet) slotOf(id string) (uint32, bool) {
	return s.ids.find(keyHash(id), func(slot uint32) bool {
		_, v := coldKey(s.arena.get(s.refs[slot]))
		return v == id
	})
}

func (s *coldSet) keyAt(i int) (int64, string) { return coldKey(s.arena.get(s.refs[s.order[i]])) }

// search returns the position in order of the first entry after (created,
// id); dead slots (which have no key) sort where they were.
func (s *coldSet) search(created int64, id string) int {
	return sort.Search(len(s.order), func(i int) bool {
		c, v := s.keyAt(i)
		for j := i; v == "" && j+1 < len(s.order); j++ { // a dead slot: look right
			c, v = s.keyAt(j + 1)
		}
		return v == "" || keyLess(created, id, c, v)
	})
}

// put adds or replaces an entry and returns the location it replaced.
func (s *coldSet) put(e coldEntry) (old coldLoc, replaced bool) {
	if slot, ok := s.slotOf(e.id); ok {
		prev, _ := s.entry(slot)
		s.delete(slot)
		old, replaced = prev.loc, true
	}
	rec := encodeColdEntry(e)
	slot := uint32(len(s.refs))
	s.refs = append(s.refs, s.arena.add(rec))
	s.live += recordSize(len(rec))
	s.ids.insert(keyHash(e.id), slot)
	// Events are nearly always recorded in time order: then this appends.
	i := len(s.order)
	if i > 0 {
		if c, v := s.keyAt(i - 1); v == "" || !keyLess(c, v, e.created, e.id) {
			i = s.search(e.created, e.id)
		}
	}
	s.order = slices.Insert(s.order, i, slot)
	return old, replaced
}

// remove deletes the entry with the id and returns where its record lies.
func (s *coldSet) remove(id string) (coldLoc, bool) {
	slot, ok := s.slotOf(id)
	if !ok {
		return coldLoc{}, false
	}
	e, _ := s.entry(slot)
	s.delete(slot)
	return e.loc, true
}

func (s *coldSet) delete(slot uint32) {
	rec := s.arena.get(s.refs[slot])
	_, id := coldKey(rec)
	s.ids.remove(keyHash(id), slot)
	s.live -= recordSize(len(rec))
	s.refs[slot] = s.arena.add("")
	// Drop the dead slots at the head of the order, so that pruning the
	// oldest events never leaves listings a dead prefix to step over.
	for len(s.order) > 0 && s.arena.get(s.refs[s.order[0]]) == "" {
		s.order = s.order[1:]
	}
}

// mostlyDead reports whether most slots are deleted: then a checkpoint
// rebuilds the set.
func (s *coldSet) mostlyDead() bool { return len(s.refs)-s.ids.n > len(s.refs)/2 }

// rebuilt returns the set without its dead slots.
func (s *coldSet) rebuilt() *coldSet {
	n := &coldSet{ids: newIndex(s.ids.n)}
	for _, slot := range s.order {
		rec := s.arena.get(s.refs[slot])
		if rec == "" {
			continue
		}
		_, id := coldKey(rec)
		ns := uint32(len(n.refs))
		n.refs = append(n.refs, n.arena.add(rec))
		n.live += recordSize(len(rec))
		n.ids.insert(keyHash(id), ns)
		n.order = append(n.order, ns)
	}
	return n
}

// coldResource reads the cold record of an entry.
func (t readTx) coldResource(e coldEntry) (*openchime.Resource, error) {
	rec, err := t.cold.read(e.loc)
	if err != nil {
		return nil, err
	}
	return decodeResource(rec)
}

// verifyRecords reads every cold record the state refers to, a segment at a
// time, and checks that it lies within its segment and matches its sum; it
// returns how many it checked. Open runs it on the records a snapshot refers
// to, so that a damaged segment is found before the store serves anything.
func (c *coldFiles) verifyRecords(st *state) (int, error) {
	bySeg := map[uint32][]coldLoc{}
	for _, set := range st.cold {
		for _, r := range set.refs {
			if e, ok := decodeColdEntry(set.arena.get(r)); ok {
				bySeg[e.loc.seg] = append(bySeg[e.loc.seg], e.loc)
			}
		}
	}
	segs := slices.Sorted(maps.Keys(bySeg))
	n := 0
	var buf []byte
	for _, seg := range segs {
		path := filepath.Join(c.dir, coldName(seg))
		// A segment the snapshot refers to must exist: opening it the
		// usual way would create it empty, writing into a store that is
		// about to be refused.
		if _, err := os.Stat(path); os.IsNotExist(err) {
			return n, &CorruptError{Path: path, Why: fmt.Sprintf("the segment is missing; the snapshot refers to %d records in it", len(bySeg[seg]))}
		}
		f, err := c.file(seg)
		if err != nil {
			return n, err
		}
		info, err := f.Stat()
		if err != nil {
			return n, err
		}
		size := info.Size()
		if int64(cap(buf)) < size {
			buf = make([]byte, size)
		}
		buf = buf[:size]
		if _, err := f.ReadAt(buf, 0); err != nil && err != io.EOF {
			return n, fmt.Errorf("logstore: reading %s: %w", path, err)
		}
		for _, l := range bySeg[seg] {
			if l.off < 0 || l.len < 0 || l.off+l.len > size {
				return n, &CorruptError{Path: path, Offset: l.off, Why: fmt.Sprintf("a record of %d bytes runs past the segment's end (%d bytes)", l.len, size)}
			}
			if l.sum != 0 && coldSum(buf[l.off:l.off+l.len]) != l.sum {
				return n, &CorruptError{Path: path, Offset: l.off, Why: fmt.Sprintf("the record of %d bytes there fails its checksum", l.len)}
			}
			n++
		}
	}
	return n, nil
}
