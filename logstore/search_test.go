package logstore

import "testing"

// TestNextValidFrame_Budget: over damaged bytes whose length fields keep
// fitting, the search for a valid frame stops once it has checksummed its
// budget (an unbounded search over a 64 MiB tail took minutes), and says so
// rather than reporting that no frame follows.
func TestNextValidFrame_Budget(t *testing.T) {
	data := make([]byte, 1<<20)
	for i := 0; i+frameHeader+1 <= len(data); i += 16 {
		// Every 16th offset claims a frame of the rest of the bytes, numbered
		// right after the last good one, whose checksum does not match.
		data[i], data[i+1], data[i+2] = 0, 0, 8 // 512 KiB
		data[i+frameHeader] = 2
	}
	budget := searchBudget(data)
	if at, ok := nextValidFrame(data, 0, 1, &budget); ok {
		t.Fatalf("found a frame at %d in bytes with none", at)
	}
	// Cut short: overdrawn, by no more than the one candidate that
	// overdrew it (512 KiB), not by the 16 GiB a whole search checksums.
	if budget >= 0 || budget < -(512<<10) {
		t.Fatalf("budget left = %d after searching %d bytes whose every 16th offset is a candidate; want the search stopped at the first overdraw", budget, len(data))
	}
}
