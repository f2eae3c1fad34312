package logstore

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	openchime "github.com/openchime/openchime"
)

// fill sets every field of v, recursively, to a distinct non-zero value, so
// a field the codec does not know fails the round trip below.
func fill(v reflect.Value, n *int) {
	*n++
	switch v.Kind() {
	case reflect.String:
		v.SetString(fmt.Sprintf("value%d", *n))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint8:
		if v.Kind() == reflect.Uint8 {
			v.SetUint(uint64(*n % 200))
			return
		}
		v.SetInt(int64(*n))
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		fill(s.Index(0), n)
		fill(s.Index(1), n)
		v.Set(s)
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			v.Set(reflect.ValueOf(time.UnixMilli(int64(1_700_000_000_000 + *n*1000)).UTC()))
			return
		}
		for i := 0; i < v.NumField(); i++ {
			fill(v.Field(i), n)
		}
	default:
		panic("fill: add a case for " + v.Kind().String())
	}
}

// TestCodec_UserRoundTrip fails when openchime.User gains a field that
// encodeUser does not write: add it to appendUser and decodeUser (at the
// end, so old records still decode).
func TestCodec_UserRoundTrip(t *testing.T) {
	var u openchime.User
	n := 0
	fill(reflect.ValueOf(&u).Elem(), &n)
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
	n := 0
	fill(reflect.ValueOf(&a).Elem(), &n)
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
	n := 0
	fill(reflect.ValueOf(&r).Elem(), &n)
	r.Data = []byte(`{"x":1}`)
	got, err := decodeResource(string(appendResource(nil, &r)))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&r, got); diff != "" {
		t.Fatalf("resource round trip (-want +got):\n%s", diff)
	}
}
