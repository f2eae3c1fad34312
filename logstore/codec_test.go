package logstore

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/storetest"
)

// TestCodec_UserRoundTrip fails when openchime.User gains a field that
// encodeUser does not write: add it to appendUser and decodeUser (at the
// end, so old records still decode).
func TestCodec_UserRoundTrip(t *testing.T) {
	var u openchime.User
	storetest.Fill(&u)
	got, err := decodeUser(u.AccountID, encodeUser(&u))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&u, got); diff != "" {
		t.Fatalf("user round trip (-want +got):\n%s", diff)
	}
	// The enums' usual values take one byte.
	u.LicenseType, u.UserType, u.RegistrationStatus, u.InvitationStatus = openchime.Pro, openchime.PrivateUser, openchime.Suspended, openchime.InviteAccepted
	if got, _ := decodeUser(u.AccountID, encodeUser(&u)); !cmp.Equal(&u, got) {
		t.Fatalf("user with table enums: %s", cmp.Diff(&u, got))
	}
}

func TestCodec_AccountRoundTrip(t *testing.T) {
	var a openchime.Account
	storetest.Fill(&a)
	got, err := decodeAccount(string(appendAccount(nil, &a)))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&a, got); diff != "" {
		t.Fatalf("account round trip (-want +got):\n%s", diff)
	}
}

func TestCodec_ResourceRoundTrip(t *testing.T) {
	var r openchime.Resource
	storetest.Fill(&r)
	r.Data = []byte(`{"x":1}`)
	got, err := decodeResource(string(appendResource(nil, &r)))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&r, got); diff != "" {
		t.Fatalf("resource round trip (-want +got):\n%s", diff)
	}
}
