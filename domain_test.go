package openchime

import (
	"testing"
	"time"
)

func TestNextStatus(t *testing.T) {
	cases := []struct {
		op      Transition
		from    RegistrationStatus
		to      RegistrationStatus
		changed bool
	}{
		{SuspendUsers, Registered, Suspended, true},
		{SuspendUsers, Unregistered, Suspended, true},
		{SuspendUsers, Suspended, "", false},
		{UnsuspendUsers, Suspended, Registered, true},
		{UnsuspendUsers, Registered, "", false},
		{UnsuspendUsers, Unregistered, "", false},
		{RegisterUser, Unregistered, Registered, true},
		{RegisterUser, Suspended, "", false},
		{SuspendUsers, "NotAStatus", "", false},
		{Transition(99), Registered, "", false},
		{0, Registered, "", false},
	}
	for _, c := range cases {
		to, changed := c.op.next(c.from)
		if to != c.to || changed != c.changed {
			t.Errorf("%s.next(%s) = %s, %v; want %s, %v", c.op.Operation(), c.from, to, changed, c.to, c.changed)
		}
	}
	for tr, op := range map[Transition]string{SuspendUsers: "BatchSuspendUser", UnsuspendUsers: "BatchUnsuspendUser", RegisterUser: "AdminRegisterUser"} {
		if tr.Operation() != op {
			t.Errorf("Transition %d is %s, want %s", tr, tr.Operation(), op)
		}
	}
}

func TestPageToken(t *testing.T) {
	c := Cursor{CreatedAt: time.Date(2030, 1, 2, 3, 4, 5, 6_000_000, time.UTC), ID: "abc"}
	tok := encodeToken("users\x00a", c)
	got, err := decodeToken("users\x00a", tok)
	if err != nil || !got.CreatedAt.Equal(c.CreatedAt) || got.ID != "abc" {
		t.Fatalf("round trip = %+v, %v", got, err)
	}
	for _, bad := range []string{"", "!!", encodeToken("users\x00b", c), "dXNlcnMAYQAxAA"} {
		if _, err := decodeToken("users\x00a", bad); !IsCode(err, BadRequest) {
			t.Errorf("decodeToken(%q) err = %v, want BadRequest", bad, err)
		}
	}
}

func TestNormalizePhoneID(t *testing.T) {
	for in, want := range map[string]string{
		"+12065550100": "+12065550100", "%2B12065550100": "+12065550100", "%2b12065550100": "+12065550100",
		"%252B12065550100": "+12065550100", "12065550100": "+12065550100",
	} {
		if got, ok := NormalizePhoneID(in); !ok || got != want {
			t.Errorf("NormalizePhoneID(%q) = %q, %v", in, got, ok)
		}
	}
	for _, bad := range []string{"", "+", "+0123", "abc", "+1234567890123456"} {
		if _, ok := NormalizePhoneID(bad); ok {
			t.Errorf("NormalizePhoneID(%q) accepted", bad)
		}
	}
}

func TestControlClock(t *testing.T) {
	var c ControlClock
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	c.Set(at)
	c.Freeze()
	if !c.Now().Equal(at) {
		t.Fatalf("frozen clock = %v, want %v", c.Now(), at)
	}
	c.Advance(90 * time.Second)
	if want := at.Add(90 * time.Second); !c.Now().Equal(want) {
		t.Fatalf("advanced clock = %v, want %v", c.Now(), want)
	}
	c.Unfreeze()
	if c.Now().Before(at.Add(90 * time.Second)) {
		t.Fatalf("released clock went back: %v", c.Now())
	}
}

func TestSeededIDs(t *testing.T) {
	a, b := NewSeededIDs(7), NewSeededIDs(7)
	for i := 0; i < 3; i++ {
		if x, y := a.UUID(), b.UUID(); x != y || len(x) != 36 || x[14] != '4' {
			t.Fatalf("UUID %d: %q vs %q", i, x, y)
		}
	}
	if a.Digits(10) != b.Digits(10) {
		t.Fatal("Digits differ for one seed")
	}
	if NewSeededIDs(8).UUID() == NewSeededIDs(7).UUID() {
		t.Fatal("different seeds give the same id")
	}
}

func TestValidEmail(t *testing.T) {
	for s, want := range map[string]bool{"a@b.co": true, "a.b@c.d.e": true, "@b.co": false, "a@b": false, "a@.co": false, "a@b.": false, "ab": false} {
		if got := ValidEmail(s); got != want {
			t.Errorf("ValidEmail(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestPhoneNumber_Effective(t *testing.T) {
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	p := &PhoneNumber{E164: "+12065550100", Status: PhoneAcquireInProgress, AcquireDue: t0.Add(time.Second), UpdatedAt: t0}
	if e, ok := p.effective(t0); !ok || e.Status != PhoneAcquireInProgress {
		t.Fatalf("before due: %+v %v", e, ok)
	}
	if e, ok := p.effective(t0.Add(time.Second)); !ok || e.Status != PhoneUnassigned || !e.UpdatedAt.Equal(t0.Add(time.Second)) {
		t.Fatalf("at due: %+v %v", e, ok)
	}
	p.AcquireFails = true
	if _, ok := p.effective(t0.Add(time.Second)); ok {
		t.Fatal("a failed acquisition stays in the inventory")
	}
}

func TestRandomIDs_Digits(t *testing.T) {
	var counts [10]int
	for range 200 {
		d := RandomIDs{}.Digits(10)
		if len(d) != 10 {
			t.Fatalf("Digits(10) = %q", d)
		}
		for _, c := range d {
			if c < '0' || c > '9' {
				t.Fatalf("Digits(10) = %q", d)
			}
			counts[c-'0']++
		}
	}
	for digit, n := range counts {
		if n == 0 {
			t.Errorf("digit %d never drawn in 2000 draws", digit)
		}
	}
}

func TestAccount_Clone(t *testing.T) {
	a := &Account{ID: "a", SupportedLicenses: []License{Pro}, SigninDelegateGroups: []string{}, ClaimedDomains: nil}
	c := a.Clone()
	c.SupportedLicenses[0] = Basic
	if a.SupportedLicenses[0] != Pro {
		t.Error("the clone shares SupportedLicenses")
	}
	if c.SigninDelegateGroups == nil || len(c.SigninDelegateGroups) != 0 {
		t.Errorf("an empty list cloned as %#v: stores read lists back as [], the wire tells [] from null", c.SigninDelegateGroups)
	}
	if c.ClaimedDomains != nil {
		t.Errorf("a nil list cloned as %#v", c.ClaimedDomains)
	}
}
