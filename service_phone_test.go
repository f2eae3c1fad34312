package openchime_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/sqlite"
)

func newPhoneService(t *testing.T) *openchime.Service {
	t.Helper()
	st, err := sqlite.Open(context.Background(), ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return openchime.NewService(st)
}

// Orders page in creation order, and a page token of another listing is
// refused (decision D6).
func TestService_ListPhoneNumberOrders(t *testing.T) {
	ctx := context.Background()
	svc := newPhoneService(t)
	var want []string
	for _, n := range []string{"+12065550100", "+12065550101", "+12065550102"} {
		o, err := svc.CreatePhoneNumberOrder(ctx, openchime.BusinessCalling, []string{n})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, o.ID)
		// Listings order by (CreatedAt, ID): orders of one millisecond
		// would come in id order.
		svc.Clock.(*openchime.ControlClock).Advance(time.Millisecond)
	}
	var got []string
	page := openchime.Page{MaxResults: 2}
	for i := 0; i < 3; i++ {
		list, next, err := svc.ListPhoneNumberOrders(ctx, page)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range list {
			got = append(got, o.ID)
		}
		if next == "" {
			break
		}
		page.NextToken = next
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("orders (-want +got):\n%s", diff)
	}
	_, next, err := svc.ListPhoneNumbers(ctx, openchime.ListPhoneNumbersInput{Page: openchime.Page{MaxResults: 1}})
	if err != nil || next == "" {
		t.Fatalf("ListPhoneNumbers = %q, %v", next, err)
	}
	if _, _, err := svc.ListPhoneNumberOrders(ctx, openchime.Page{NextToken: next}); !openchime.IsCode(err, openchime.BadRequest) {
		t.Errorf("ListPhoneNumberOrders with a ListPhoneNumbers token = %v; want BadRequest", err)
	}
}

// A batch update reports each failing item under its id, with its own code,
// and still applies the others, in order (decision D34).
func TestService_BatchUpdatePhoneNumber(t *testing.T) {
	ctx := context.Background()
	svc := newPhoneService(t)
	if _, err := svc.CreatePhoneNumberOrder(ctx, openchime.BusinessCalling, []string{"+12065550100", "+12065550101"}); err != nil {
		t.Fatal(err)
	}
	name := func(s string) *string { return &s }
	errs, err := svc.BatchUpdatePhoneNumber(ctx, []openchime.PhoneNumberUpdate{
		{ID: "+12065550100", ProductType: openchime.VoiceConnector},
		{ID: "+19995550100", ProductType: openchime.VoiceConnector},
		{ID: "+12065550101", CallingName: name("Acme")},
		{ID: "+12065550101", CallingName: name("Other")},
		{ID: "+12065550100"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range errs {
		got = append(got, e.PhoneNumberID+" "+string(e.Code))
	}
	want := []string{"+19995550100 NotFound", "+12065550101 Conflict", "+12065550100 BadRequest"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("PhoneNumberErrors (-want +got):\n%s", diff)
	}
	p, err := svc.GetPhoneNumber(ctx, "+12065550100")
	if err != nil || p.ProductType != openchime.VoiceConnector {
		t.Errorf("+12065550100 = %+v, %v; want ProductType VoiceConnector", p, err)
	}
	p, err = svc.GetPhoneNumber(ctx, "+12065550101")
	if err != nil || p.CallingName != "Acme" {
		t.Errorf("+12065550101 = %+v, %v; want CallingName Acme", p, err)
	}
}

// A user is associated with at most one number: the store refuses a seed
// that would give one a second (decision D33, documents.go).
func TestService_AdminSeedPhoneNumber_UserHoldsOneNumber(t *testing.T) {
	ctx := context.Background()
	svc := newPhoneService(t)
	seed := func(e164 string) error {
		_, err := svc.AdminSeedPhoneNumber(ctx, openchime.SeedPhoneNumber{E164PhoneNumber: e164,
			Associations: []openchime.PhoneAssociation{{Name: "UserId", Value: "u1"}}})
		return err
	}
	if err := seed("+13125550100"); err != nil {
		t.Fatal(err)
	}
	if err := seed("+13125550101"); !openchime.IsCode(err, openchime.Conflict) {
		t.Fatalf("a second number of user u1: err=%v, want Conflict", err)
	}
	if _, err := svc.GetPhoneNumber(ctx, "+13125550101"); !openchime.IsCode(err, openchime.NotFound) {
		t.Errorf("the refused number: err=%v, want NotFound", err)
	}
}
