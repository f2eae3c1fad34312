package openchime_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/sqlite"
)

// A batch update reports each failing item under its id, with its own code,
// and still applies the others, in order (decision D34).
func TestService_BatchUpdatePhoneNumber(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc := openchime.NewService(st)
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
