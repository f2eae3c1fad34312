package faults_test

import (
	"context"
	"testing"
	"time"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/faults"
)

func TestSet_Add(t *testing.T) {
	f := faults.New(nil)
	r, err := f.Add(faults.Rule{Exception: "ThrottledClientException"})
	if err != nil || r.Exception != openchime.Throttled || r.Probability != 1 || r.ID != "fault-1" {
		t.Fatalf("Add=%+v, %v; want Throttled, probability 1, fault-1", r, err)
	}
	for _, bad := range []faults.Rule{
		{},
		{Exception: "Nope"},
		{ErrorCode: "ServiceFailure", Latency: time.Second},
		{Latency: -time.Second},
		{Exception: "BadRequest", Probability: 2},
		{Exception: "BadRequest", Count: -1},
	} {
		if _, err := f.Add(bad); !openchime.IsCode(err, openchime.BadRequest) {
			t.Errorf("Add(%+v) err=%v, want BadRequest", bad, err)
		}
	}
}

func TestSet_Probability(t *testing.T) {
	f := faults.New(nil)
	f.Seed(42)
	if _, err := f.Add(faults.Rule{ErrorCode: openchime.ServiceFailure, Probability: 0.3}); err != nil {
		t.Fatal(err)
	}
	fired := 0
	for range 1000 {
		if f.ForUser("BatchUpdateUser", "123456789012", "a", "u") != nil {
			fired++
		}
	}
	if fired < 200 || fired > 400 {
		t.Fatalf("fired=%d of 1000 at probability 0.3, want about 300", fired)
	}
	if got := f.List()[0].Fired; got != fired {
		t.Fatalf("Fired=%d, want %d", got, fired)
	}
}

func TestSet_ForUser(t *testing.T) {
	f := faults.New(nil)
	f.Add(faults.Rule{Operation: "BatchSuspendUser", AccountID: "a", UserID: "u2", ErrorCode: openchime.NotFound, Message: "gone"})
	f.Add(faults.Rule{Exception: openchime.Throttled}) // request-level: never per user
	for _, tc := range []struct {
		op, account, user string
		want              bool
	}{
		{"BatchSuspendUser", "a", "u2", true},
		{"BatchSuspendUser", "a", "u1", false},
		{"BatchSuspendUser", "b", "u2", false},
		{"BatchUnsuspendUser", "a", "u2", false},
	} {
		ue := f.ForUser(tc.op, "123456789012", tc.account, tc.user)
		if (ue != nil) != tc.want || (ue != nil && (ue.Code != openchime.NotFound || ue.Message != "gone" || ue.UserID != tc.user)) {
			t.Errorf("ForUser(%s,%s,%s)=%+v, want fault %v", tc.op, tc.account, tc.user, ue, tc.want)
		}
	}
	var nilFaults *faults.Set
	if nilFaults.ForUser("x", "y", "z", "u") != nil || nilFaults.BeforeRequest(context.Background(), "x", "y", "z") != nil {
		t.Fatal("a nil registry injected a fault")
	}
}

// BenchmarkSet_BeforeRequest measures the fault hook with no rule, the
// cost every request pays.
func BenchmarkSet_BeforeRequest(b *testing.B) {
	f := faults.New(nil)
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		f.BeforeRequest(ctx, "GetUser", "123456789012", "a")
	}
}
