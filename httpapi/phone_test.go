package httpapi_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awschime "github.com/aws/aws-sdk-go-v2/service/chime"
	"github.com/aws/aws-sdk-go-v2/service/chime/types"
	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/httpapi"
)

// newPhoneServer is a test server whose Service runs on a frozen clock.
func newPhoneServer(t *testing.T) (*testServer, *openchime.ControlClock, *openchime.Service) {
	t.Helper()
	store := newTestStore(t)
	clock := &openchime.ControlClock{}
	clock.Freeze()
	clock.Set(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	svc := openchime.NewService(store)
	svc.Clock = clock
	api := httpapi.NewServer(svc)
	api.Logger = discardLogger()
	ts := httptest.NewServer(api)
	t.Cleanup(ts.Close)
	return &testServer{Server: ts, Client: newClient(ts.URL, "123456789012")}, clock, svc
}

func TestPhoneNumbers_Lifecycle(t *testing.T) {
	ctx := context.Background()
	ts, clock, _ := newPhoneServer(t)
	c := ts.Client

	// Search: the fictional 555-01XX range of the area code (D26).
	search, err := c.SearchAvailablePhoneNumbers(ctx, &awschime.SearchAvailablePhoneNumbersInput{AreaCode: aws.String("206")})
	if err != nil {
		t.Fatal(err)
	}
	if len(search.E164PhoneNumbers) != 10 || search.E164PhoneNumbers[0] != "+12065550100" || search.E164PhoneNumbers[9] != "+12065550109" {
		t.Fatalf("search = %v", search.E164PhoneNumbers)
	}

	// Order two pool numbers and one outside the pool (D29).
	order, err := c.CreatePhoneNumberOrder(ctx, &awschime.CreatePhoneNumberOrderInput{
		ProductType:      types.PhoneNumberProductTypeBusinessCalling,
		E164PhoneNumbers: []string{"+12065550100", "12065550101", "+12065551234", "+12065550100"},
	})
	if err != nil {
		t.Fatal(err)
	}
	o := order.PhoneNumberOrder
	if o.Status != types.PhoneNumberOrderStatusProcessing || len(o.OrderedPhoneNumbers) != 3 {
		t.Fatalf("order = %+v, want Processing with 3 numbers (duplicates collapsed)", o)
	}
	got, err := c.GetPhoneNumberOrder(ctx, &awschime.GetPhoneNumberOrderInput{PhoneNumberOrderId: o.PhoneNumberOrderId})
	if err != nil {
		t.Fatal(err)
	}
	if got.PhoneNumberOrder.Status != types.PhoneNumberOrderStatusPartial {
		t.Fatalf("order after completion = %s, want Partial", got.PhoneNumberOrder.Status)
	}
	// The failed number left the inventory; the others are Unassigned.
	if _, err := c.GetPhoneNumber(ctx, &awschime.GetPhoneNumberInput{PhoneNumberId: aws.String("+12065551234")}); err == nil {
		t.Fatal("failed number is in the inventory")
	}
	for _, id := range []string{"+12065550100", "%2B12065550100", "12065550100"} {
		p, err := c.GetPhoneNumber(ctx, &awschime.GetPhoneNumberInput{PhoneNumberId: aws.String(id)})
		if err != nil {
			t.Fatalf("GetPhoneNumber(%s): %v", id, err)
		}
		if *p.PhoneNumber.PhoneNumberId != "%2B12065550100" || p.PhoneNumber.Status != types.PhoneNumberStatusUnassigned ||
			p.PhoneNumber.Associations == nil || !*p.PhoneNumber.Capabilities.InboundSMS {
			t.Fatalf("number = %+v", p.PhoneNumber)
		}
	}
	// Ordered numbers are no longer offered.
	search, _ = c.SearchAvailablePhoneNumbers(ctx, &awschime.SearchAvailablePhoneNumbersInput{AreaCode: aws.String("206"), MaxResults: aws.Int32(1)})
	if search.E164PhoneNumbers[0] != "+12065550102" || search.NextToken == nil {
		t.Fatalf("search after order = %v", search.E164PhoneNumbers)
	}

	// Assign to a user (D33).
	acct := ts.MustCreateAccount(t, openchime.EnterpriseLWA, "lwa")
	user := ts.MustCreateUsers(t, acct, openchime.Registered, "a@example.com")[0]
	if _, err := c.AssociatePhoneNumberWithUser(ctx, &awschime.AssociatePhoneNumberWithUserInput{
		AccountId: &acct, UserId: &user, E164PhoneNumber: aws.String("+12065550100")}); err != nil {
		t.Fatal(err)
	}
	u, _ := c.GetUser(ctx, &awschime.GetUserInput{AccountId: &acct, UserId: &user})
	if aws.ToString(u.User.PrimaryProvisionedNumber) != "+12065550100" {
		t.Fatalf("PrimaryProvisionedNumber = %v", aws.ToString(u.User.PrimaryProvisionedNumber))
	}
	list, err := c.ListPhoneNumbers(ctx, &awschime.ListPhoneNumbersInput{FilterName: types.PhoneNumberAssociationNameUserId, FilterValue: &user})
	if err != nil || len(list.PhoneNumbers) != 1 || list.PhoneNumbers[0].Status != types.PhoneNumberStatusAssigned {
		t.Fatalf("ListPhoneNumbers(user) = %+v, %v", list, err)
	}
	// An associated number cannot be deleted.
	_, err = c.DeletePhoneNumber(ctx, &awschime.DeletePhoneNumberInput{PhoneNumberId: aws.String("+12065550100")})
	bad := wantAPIError[*types.BadRequestException](t, err, "PhoneNumberAssociationsExist")
	_ = bad

	// Calling name: shows at once, settles after 72 h, conflicts meanwhile (D34).
	upd, err := c.UpdatePhoneNumber(ctx, &awschime.UpdatePhoneNumberInput{PhoneNumberId: aws.String("+12065550100"), CallingName: aws.String("Acme Support")})
	if err != nil || aws.ToString(upd.PhoneNumber.CallingName) != "Acme Support" || upd.PhoneNumber.CallingNameStatus != types.CallingNameStatusUpdateInProgress {
		t.Fatalf("UpdatePhoneNumber = %+v, %v", upd, err)
	}
	_, err = c.UpdatePhoneNumber(ctx, &awschime.UpdatePhoneNumberInput{PhoneNumberId: aws.String("+12065550100"), CallingName: aws.String("Other")})
	wantAPIError[*types.ConflictException](t, err, "Conflict")
	_, err = c.UpdatePhoneNumber(ctx, &awschime.UpdatePhoneNumberInput{PhoneNumberId: aws.String("+12065550101")})
	wantAPIError[*types.BadRequestException](t, err, "BadRequest")
	clock.Advance(72 * time.Hour)
	p, _ := c.GetPhoneNumber(ctx, &awschime.GetPhoneNumberInput{PhoneNumberId: aws.String("+12065550100")})
	if p.PhoneNumber.CallingNameStatus != types.CallingNameStatusUpdateSucceeded {
		t.Fatalf("calling name after 72h: %s", p.PhoneNumber.CallingNameStatus)
	}

	// Unassign, delete, restore, delete, purge (D31, D32).
	if _, err := c.DisassociatePhoneNumberFromUser(ctx, &awschime.DisassociatePhoneNumberFromUserInput{AccountId: &acct, UserId: &user}); err != nil {
		t.Fatal(err)
	}
	id := aws.String("%2B12065550100")
	if _, err := c.DeletePhoneNumber(ctx, &awschime.DeletePhoneNumberInput{PhoneNumberId: id}); err != nil {
		t.Fatal(err)
	}
	p, _ = c.GetPhoneNumber(ctx, &awschime.GetPhoneNumberInput{PhoneNumberId: id})
	if p.PhoneNumber.Status != types.PhoneNumberStatusDeleteInProgress || p.PhoneNumber.DeletionTimestamp == nil {
		t.Fatalf("after delete: %+v", p.PhoneNumber)
	}
	r, err := c.RestorePhoneNumber(ctx, &awschime.RestorePhoneNumberInput{PhoneNumberId: id})
	if err != nil || r.PhoneNumber.Status != types.PhoneNumberStatusUnassigned || r.PhoneNumber.DeletionTimestamp != nil || aws.ToString(r.PhoneNumber.CallingName) != "Acme Support" {
		t.Fatalf("restore = %+v, %v", r, err)
	}
	_, err = c.RestorePhoneNumber(ctx, &awschime.RestorePhoneNumberInput{PhoneNumberId: id})
	wantAPIError[*types.BadRequestException](t, err, "BadRequest")
	batch, err := c.BatchDeletePhoneNumber(ctx, &awschime.BatchDeletePhoneNumberInput{PhoneNumberIds: []string{"%2B12065550100", "+19995550100"}})
	if err != nil || len(batch.PhoneNumberErrors) != 1 || batch.PhoneNumberErrors[0].ErrorCode != types.ErrorCodeNotFound || *batch.PhoneNumberErrors[0].PhoneNumberId != "+19995550100" {
		t.Fatalf("BatchDeletePhoneNumber = %+v, %v", batch, err)
	}
	clock.Advance(168*time.Hour - time.Millisecond)
	if _, err := c.GetPhoneNumber(ctx, &awschime.GetPhoneNumberInput{PhoneNumberId: id}); err != nil {
		t.Fatalf("number purged before its due time: %v", err)
	}
	clock.Advance(time.Millisecond)
	_, err = c.GetPhoneNumber(ctx, &awschime.GetPhoneNumberInput{PhoneNumberId: id})
	wantAPIError[*types.NotFoundException](t, err, "NotFound")
	search, _ = c.SearchAvailablePhoneNumbers(ctx, &awschime.SearchAvailablePhoneNumbersInput{AreaCode: aws.String("206"), MaxResults: aws.Int32(1)})
	if search.E164PhoneNumbers[0] != "+12065550100" {
		t.Fatalf("purged number not back in the pool: %v", search.E164PhoneNumbers)
	}

	orders, err := c.ListPhoneNumberOrders(ctx, &awschime.ListPhoneNumberOrdersInput{})
	if err != nil || len(orders.PhoneNumberOrders) != 1 {
		t.Fatalf("ListPhoneNumberOrders = %+v, %v", orders, err)
	}
}

func TestPhoneNumbers_Errors(t *testing.T) {
	ctx := context.Background()
	ts, _, _ := newPhoneServer(t)
	c := ts.Client
	for name, in := range map[string]*awschime.SearchAvailablePhoneNumbersInput{
		"no filter":          {},
		"city without state": {City: aws.String("Seattle")},
		"bad area code":      {AreaCode: aws.String("106")},
		"unknown state":      {State: aws.String("XX")},
		"toll free + state":  {TollFreePrefix: aws.String("888"), State: aws.String("WA")},
		"foreign no type":    {Country: aws.String("GB")},
		"bad country":        {Country: aws.String("gbr")},
		"bad prefix":         {TollFreePrefix: aws.String("899")},
	} {
		_, err := c.SearchAvailablePhoneNumbers(ctx, in)
		t.Run(name, func(t *testing.T) { wantAPIError[*types.BadRequestException](t, err, "BadRequest") })
	}
	tf, err := c.SearchAvailablePhoneNumbers(ctx, &awschime.SearchAvailablePhoneNumbersInput{TollFreePrefix: aws.String("800")})
	if err != nil || len(tf.E164PhoneNumbers) != 0 {
		t.Fatalf("800 search = %v, %v; want []", tf, err)
	}
	city, _ := c.SearchAvailablePhoneNumbers(ctx, &awschime.SearchAvailablePhoneNumbersInput{City: aws.String("Seattle"), State: aws.String("WA")})
	if len(city.E164PhoneNumbers) != 10 || !strings.HasPrefix(city.E164PhoneNumbers[0], "+1206") {
		t.Fatalf("Seattle search = %v", city.E164PhoneNumbers)
	}
	_, err = c.CreatePhoneNumberOrder(ctx, &awschime.CreatePhoneNumberOrderInput{ProductType: types.PhoneNumberProductTypeBusinessCalling, E164PhoneNumbers: []string{"+18885550100"}})
	wantAPIError[*types.BadRequestException](t, err, "BadRequest")
	_, err = c.CreatePhoneNumberOrder(ctx, &awschime.CreatePhoneNumberOrderInput{ProductType: types.PhoneNumberProductTypeBusinessCalling, E164PhoneNumbers: []string{}})
	wantAPIError[*types.BadRequestException](t, err, "BadRequest")
	_, err = c.GetPhoneNumberOrder(ctx, &awschime.GetPhoneNumberOrderInput{PhoneNumberOrderId: aws.String("not-a-guid")})
	wantAPIError[*types.BadRequestException](t, err, "BadRequest")
	_, err = c.GetPhoneNumberOrder(ctx, &awschime.GetPhoneNumberOrderInput{PhoneNumberOrderId: aws.String("11111111-2222-3333-4444-555555555555")})
	wantAPIError[*types.NotFoundException](t, err, "NotFound")
	_, err = c.ListPhoneNumbers(ctx, &awschime.ListPhoneNumbersInput{FilterName: types.PhoneNumberAssociationNameUserId})
	wantAPIError[*types.BadRequestException](t, err, "BadRequest")

	// Tenancy: one number, one tenant (D13).
	if _, err := c.CreatePhoneNumberOrder(ctx, &awschime.CreatePhoneNumberOrderInput{ProductType: types.PhoneNumberProductTypeVoiceConnector, E164PhoneNumbers: []string{"+14155550150"}}); err != nil {
		t.Fatal(err)
	}
	other := newClient(ts.URL, "210987654321")
	_, err = other.GetPhoneNumber(ctx, &awschime.GetPhoneNumberInput{PhoneNumberId: aws.String("+14155550150")})
	wantAPIError[*types.NotFoundException](t, err, "NotFound")
	_, err = other.CreatePhoneNumberOrder(ctx, &awschime.CreatePhoneNumberOrderInput{ProductType: types.PhoneNumberProductTypeVoiceConnector, E164PhoneNumbers: []string{"+14155550150"}})
	if err == nil || !strings.Contains(err.Error(), "not available") {
		t.Fatalf("ordering another tenant's number: %v", err)
	}
	olist, _ := other.ListPhoneNumbers(ctx, &awschime.ListPhoneNumbersInput{})
	if len(olist.PhoneNumbers) != 0 {
		t.Fatalf("other tenant lists %d numbers", len(olist.PhoneNumbers))
	}
	// A VoiceConnector number cannot go to a user.
	acct := ts.MustCreateAccount(t, openchime.EnterpriseLWA, "lwa")
	user := ts.MustCreateUsers(t, acct, openchime.Registered, "a@example.com")[0]
	_, err = c.AssociatePhoneNumberWithUser(ctx, &awschime.AssociatePhoneNumberWithUserInput{AccountId: &acct, UserId: &user, E164PhoneNumber: aws.String("+14155550150")})
	wantAPIError[*types.BadRequestException](t, err, "BadRequest")

	// Restricted AWS account (D28).
	if st := ts.controlPlane(t, "PUT", "/_openchime/aws-accounts/123456789012", map[string]any{"PhoneNumbersRestricted": true}, nil); st != 200 {
		t.Fatalf("restrict: %d", st)
	}
	_, err = c.SearchAvailablePhoneNumbers(ctx, &awschime.SearchAvailablePhoneNumbersInput{AreaCode: aws.String("206")})
	var denied *types.AccessDeniedException
	if !asError(err, &denied) || !strings.Contains(denied.ErrorMessage(), "Service is restricted for AWSAccountId 123456789012") {
		t.Fatalf("restricted search: %v", err)
	}
}

func asError[T error](err error, target *T) bool {
	for err != nil {
		if t, ok := err.(T); ok {
			*target = t
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

func TestSettings_GlobalAndPhoneNumber(t *testing.T) {
	ctx := context.Background()
	ts, clock, _ := newPhoneServer(t)
	c := ts.Client
	g, err := c.GetGlobalSettings(ctx, &awschime.GetGlobalSettingsInput{})
	if err != nil || g.BusinessCalling == nil || g.VoiceConnector == nil || g.BusinessCalling.CdrBucket != nil {
		t.Fatalf("GetGlobalSettings = %+v, %v", g, err)
	}
	if _, err := c.UpdateGlobalSettings(ctx, &awschime.UpdateGlobalSettingsInput{BusinessCalling: &types.BusinessCallingSettings{CdrBucket: aws.String("my-cdr-bucket")}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.UpdateGlobalSettings(ctx, &awschime.UpdateGlobalSettingsInput{VoiceConnector: &types.VoiceConnectorSettings{CdrBucket: aws.String("Bad_Bucket")}})
	wantAPIError[*types.BadRequestException](t, err, "BadRequest")
	g, _ = c.GetGlobalSettings(ctx, &awschime.GetGlobalSettingsInput{})
	if aws.ToString(g.BusinessCalling.CdrBucket) != "my-cdr-bucket" || g.VoiceConnector.CdrBucket != nil {
		t.Fatalf("after update: %+v %+v", g.BusinessCalling, g.VoiceConnector)
	}
	ps, err := c.GetPhoneNumberSettings(ctx, &awschime.GetPhoneNumberSettingsInput{})
	if err != nil || ps.CallingName != nil {
		t.Fatalf("GetPhoneNumberSettings before any update = %+v, %v", ps, err)
	}
	if _, err := c.UpdatePhoneNumberSettings(ctx, &awschime.UpdatePhoneNumberSettingsInput{CallingName: aws.String("Acme")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.UpdatePhoneNumberSettings(ctx, &awschime.UpdatePhoneNumberSettingsInput{CallingName: aws.String("Other")})
	wantAPIError[*types.BadRequestException](t, err, "BadRequest")
	if _, err := c.UpdatePhoneNumberSettings(ctx, &awschime.UpdatePhoneNumberSettingsInput{CallingName: aws.String("Acme")}); err != nil {
		t.Fatalf("same value again: %v", err)
	}
	clock.Advance(168 * time.Hour)
	if _, err := c.UpdatePhoneNumberSettings(ctx, &awschime.UpdatePhoneNumberSettingsInput{CallingName: aws.String("Other")}); err != nil {
		t.Fatalf("after the cooldown: %v", err)
	}
	ps, _ = c.GetPhoneNumberSettings(ctx, &awschime.GetPhoneNumberSettingsInput{})
	if aws.ToString(ps.CallingName) != "Other" || ps.CallingNameUpdatedTimestamp == nil {
		t.Fatalf("settings = %+v", ps)
	}
}

func TestCreateMeetingDialOut(t *testing.T) {
	ctx := context.Background()
	ts, _, _ := newPhoneServer(t)
	c := ts.Client
	meeting := "11111111-2222-3333-4444-555555555555"
	in := &awschime.CreateMeetingDialOutInput{MeetingId: &meeting, FromPhoneNumber: aws.String("+12065550150"),
		ToPhoneNumber: aws.String("+12065550199"), JoinToken: aws.String("abcDEF123")}
	_, err := c.CreateMeetingDialOut(ctx, in)
	var denied *types.AccessDeniedException
	if !asError(err, &denied) {
		t.Fatalf("dial-out from a number not owned: %v", err)
	}
	if _, err := c.CreatePhoneNumberOrder(ctx, &awschime.CreatePhoneNumberOrderInput{ProductType: types.PhoneNumberProductTypeSipMediaApplicationDialIn, E164PhoneNumbers: []string{"+12065550150"}}); err != nil {
		t.Fatal(err)
	}
	out, err := c.CreateMeetingDialOut(ctx, in)
	if err != nil || len(aws.ToString(out.TransactionId)) != 36 {
		t.Fatalf("dial-out = %+v, %v", out, err)
	}
	var dials struct {
		DialOuts []struct{ TransactionId string }
	}
	ts.controlPlane(t, "GET", "/_openchime/meetings/"+meeting+"/dial-outs", nil, &dials)
	if len(dials.DialOuts) != 1 || dials.DialOuts[0].TransactionId != *out.TransactionId {
		t.Fatalf("recorded dial-outs = %+v", dials)
	}
	in.JoinToken = aws.String("not valid!")
	_, err = c.CreateMeetingDialOut(ctx, in)
	wantAPIError[*types.BadRequestException](t, err, "BadRequest")
}

func TestPhoneControlPlane(t *testing.T) {
	ctx := context.Background()
	ts, _, _ := newPhoneServer(t)
	var seeded struct {
		PhoneNumber struct{ PhoneNumberId, Status string }
	}
	if st := ts.controlPlane(t, "POST", "/_openchime/phone-numbers", map[string]any{"E164PhoneNumber": "+13125550111", "ProductType": "VoiceConnector",
		"Associations": []map[string]string{{"Name": "VoiceConnectorId", "Value": "vc-1"}}}, &seeded); st != 201 || seeded.PhoneNumber.Status != "Assigned" {
		t.Fatalf("seed: %d %+v", st, seeded)
	}
	// An order with a delay completes at the due instant, or on demand.
	ts.controlPlane(t, "PUT", "/_openchime/config", map[string]any{"PhoneNumberOrderDelay": "10s"}, nil)
	order, err := ts.Client.CreatePhoneNumberOrder(ctx, &awschime.CreatePhoneNumberOrderInput{ProductType: types.PhoneNumberProductTypeBusinessCalling, E164PhoneNumbers: []string{"+13125550100", "+13125550101"}})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := ts.Client.GetPhoneNumber(ctx, &awschime.GetPhoneNumberInput{PhoneNumberId: aws.String("+13125550100")})
	if p.PhoneNumber.Status != types.PhoneNumberStatusAcquireInProgress {
		t.Fatalf("before completion: %s", p.PhoneNumber.Status)
	}
	var done struct{ PhoneNumberOrder struct{ Status string } }
	ts.controlPlane(t, "POST", "/_openchime/phone-number-orders/"+*order.PhoneNumberOrder.PhoneNumberOrderId+"/complete", map[string]any{"Failed": []string{"+13125550101"}}, &done)
	if done.PhoneNumberOrder.Status != "Partial" {
		t.Fatalf("completed order = %+v", done)
	}
	resp := rawRequest(t, ts, "PUT", "/_openchime/config", `{"PhoneNumberOrderDelay":"soon"}`)
	if resp.status != 400 {
		t.Fatalf("bad config: %d %s", resp.status, resp.body)
	}
}

// TestEmptyOutput pins decision D16: operations whose output has no members
// answer 200 with an empty body.
func TestEmptyOutput(t *testing.T) {
	ts, _, _ := newPhoneServer(t)
	acct := ts.MustCreateAccount(t, openchime.EnterpriseLWA, "lwa")
	user := ts.MustCreateUsers(t, acct, openchime.Registered, "a@example.com")[0]
	resp := rawRequest(t, ts, "POST", "/accounts/"+acct+"/users/"+user+"?operation=disassociate-phone-number", "")
	if resp.status != 200 || resp.body != "" || resp.header.Get("Content-Type") != "" {
		t.Fatalf("got %d %q %q", resp.status, resp.body, resp.header.Get("Content-Type"))
	}
}

// TestPhoneNumbers_ReleasedWithTheirUsers pins decision D33: a Team user
// removed by BatchSuspendUser and the users of a deleted account release
// their numbers.
func TestPhoneNumbers_ReleasedWithTheirUsers(t *testing.T) {
	ctx := context.Background()
	ts, _, _ := newPhoneServer(t)
	c := ts.Client
	if _, err := c.CreatePhoneNumberOrder(ctx, &awschime.CreatePhoneNumberOrderInput{ProductType: types.PhoneNumberProductTypeBusinessCalling,
		E164PhoneNumbers: []string{"+12065550110", "+12065550111"}}); err != nil {
		t.Fatal(err)
	}
	team := ts.MustCreateAccount(t, openchime.Team, "team")
	teamUser := ts.MustCreateUsers(t, team, openchime.Registered, "t@example.com")[0]
	lwa := ts.MustCreateAccount(t, openchime.EnterpriseLWA, "lwa")
	lwaUser := ts.MustCreateUsers(t, lwa, openchime.Registered, "l@example.com")[0]
	for acct, user := range map[string]string{team: teamUser, lwa: lwaUser} {
		number := "+12065550110"
		if acct == lwa {
			number = "+12065550111"
		}
		if _, err := c.AssociatePhoneNumberWithUser(ctx, &awschime.AssociatePhoneNumberWithUserInput{AccountId: aws.String(acct), UserId: aws.String(user), E164PhoneNumber: aws.String(number)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.BatchSuspendUser(ctx, &awschime.BatchSuspendUserInput{AccountId: &team, UserIdList: []string{teamUser}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteAccount(ctx, &awschime.DeleteAccountInput{AccountId: &lwa}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"+12065550110", "+12065550111"} {
		p, err := c.GetPhoneNumber(ctx, &awschime.GetPhoneNumberInput{PhoneNumberId: aws.String(n)})
		if err != nil || p.PhoneNumber.Status != types.PhoneNumberStatusUnassigned || len(p.PhoneNumber.Associations) != 0 {
			t.Fatalf("%s after its user left: %+v, %v", n, p, err)
		}
	}
}
