package httpapi_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awschime "github.com/aws/aws-sdk-go-v2/service/chime"
	"github.com/google/go-cmp/cmp"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/httpapi"
)

// TestServer_TenantIsolation proves, for every operation of the table that is
// implemented, that AWS account B can neither see, list, change nor learn of
// AWS account A's Chime accounts and users: B's call naming A's ids answers
// exactly as the same call naming ids that do not exist, no response to B
// mentions A's ids, and A's state is unchanged afterwards. Operations still
// answering NotImplemented are skipped, so the test grows with the server.
func TestServer_TenantIsolation(t *testing.T) {
	srv, svc := MustSigV4Server(t, nil)
	ctx := context.Background()
	a := MustClient(t, srv.URL, "AKIDTENANTA", "secret-a", "")
	b := MustClient(t, srv.URL, "AKIDTENANTB", "secret-b", "")

	// Tenant A: a Team account and an EnterpriseLWA account (the one that
	// supports suspension), with users.
	acct, err := a.CreateAccount(ctx, &awschime.CreateAccountInput{Name: aws.String("tenant-a")})
	if err != nil {
		t.Fatal(err)
	}
	ctxA := openchime.NewContextWithCaller(ctx, openchime.Caller{AwsAccountID: "111111111111"})
	ent, err := svc.AdminCreateAccount(ctxA, openchime.NewAccount{Name: "tenant-a-ent", Type: openchime.EnterpriseLWA})
	if err != nil {
		t.Fatal(err)
	}
	users, err := svc.AdminCreateUsers(ctxA, ent.ID, []openchime.NewUser{{PrimaryEmail: "alice@a.example"}, {PrimaryEmail: "bob@a.example"}})
	if err != nil {
		t.Fatal(err)
	}
	teamUsers, err := svc.AdminCreateUsers(ctxA, aws.ToString(acct.Account.AccountId), []openchime.NewUser{{PrimaryEmail: "carol@a.example"}})
	if err != nil {
		t.Fatal(err)
	}
	// Tenant B owns an account too, so "B sees nothing" is not "B has nothing".
	if _, err := b.CreateAccount(ctx, &awschime.CreateAccountInput{Name: aws.String("tenant-b")}); err != nil {
		t.Fatal(err)
	}
	aIDs := map[string]string{ // field name → A's id
		"AccountId": ent.ID,
		"UserId":    users[0].ID,
	}
	// Resources of other kinds, when the server implements them.
	if out, err := a.CreateBot(ctx, &awschime.CreateBotInput{AccountId: aws.String(ent.ID), DisplayName: aws.String("bot"), Domain: aws.String("a.example")}); err == nil {
		aIDs["BotId"] = aws.ToString(out.Bot.BotId)
	}
	if out, err := a.CreateRoom(ctx, &awschime.CreateRoomInput{AccountId: aws.String(ent.ID), Name: aws.String("room")}); err == nil {
		aIDs["RoomId"] = aws.ToString(out.Room.RoomId)
	}
	secrets := []string{ent.ID, users[0].ID, users[1].ID, aws.ToString(acct.Account.AccountId), teamUsers[0].ID, "111111111111", "alice@a.example", "tenant-a"}
	for _, id := range aIDs {
		secrets = append(secrets, id)
	}
	ghostIDs := map[string]string{}
	for k := range aIDs {
		ghostIDs[k] = "0f0e0d0c-0b0a-4908-8706-050403020100"
	}
	ghostIDs["UserId"] = "1f0e0d0c-0b0a-4908-8706-050403020100"

	snapshot := func() string {
		var out []any
		for _, id := range []string{ent.ID, aws.ToString(acct.Account.AccountId)} {
			g, err := a.GetAccount(ctx, &awschime.GetAccountInput{AccountId: aws.String(id)})
			if err != nil {
				t.Fatalf("A reads its own account: %v", err)
			}
			u, err := a.ListUsers(ctx, &awschime.ListUsersInput{AccountId: aws.String(id)})
			if err != nil {
				t.Fatalf("A lists its own users: %v", err)
			}
			out = append(out, g.Account, u.Users)
		}
		j, _ := json.Marshal(out)
		return string(j)
	}
	before := snapshot()

	client := reflect.ValueOf(b)
	tested, notFound := 0, map[string]bool{}
	for _, op := range httpapi.Operations() {
		m := client.MethodByName(op.Name)
		if !m.IsValid() {
			t.Errorf("%s: the SDK client has no such method", op.Name)
			continue
		}
		call := func(t *testing.T, ids map[string]string) (string, int, string, string) {
			in := reflect.New(m.Type().In(1).Elem())
			fill(in.Elem(), ids, 0)
			res := m.Call([]reflect.Value{reflect.ValueOf(ctx), in})
			if err, _ := res[1].Interface().(error); err != nil {
				status, code, msg := apiErr(err)
				if status == 0 {
					t.Fatalf("%s: the request did not reach the server: %v", op.Name, err)
				}
				return "", status, code, msg
			}
			j, _ := json.Marshal(res[0].Interface())
			return string(j), 200, "", ""
		}
		t.Run(op.Name, func(t *testing.T) {
			outReal, stReal, codeReal, msgReal := call(t, aIDs)
			if codeReal == "NotImplementedException" {
				t.Skipf("%s is not implemented yet", op.Name)
			}
			tested++
			outGhost, stGhost, codeGhost, msgGhost := call(t, ghostIDs)
			for k, id := range aIDs {
				msgReal = strings.ReplaceAll(msgReal, id, ghostIDs[k])
			}
			// An operation that names none of A's ids (a phone number order,
			// say) has nothing of A's to reveal; calling it twice only
			// compares it with its own side effect.
			usesIDs := false
			for k := range aIDs {
				if _, ok := m.Type().In(1).Elem().FieldByName(k); ok {
					usesIDs = true
				}
			}
			if diff := cmp.Diff([]any{stGhost, codeGhost, msgGhost}, []any{stReal, codeReal, msgReal}); usesIDs && diff != "" {
				t.Errorf("B naming A's ids answers unlike B naming unknown ids (-unknown +A's):\n%s", diff)
			}
			if codeReal == "NotFoundException" {
				notFound[op.Name] = true
			}
			for _, s := range secrets {
				if strings.Contains(outReal, s) || strings.Contains(outGhost, s) {
					t.Errorf("the response to B mentions A's %q: %s", s, outReal)
				}
			}
		})
	}
	if after := snapshot(); after != before {
		t.Errorf("B's calls changed A's state:\nbefore %s\nafter  %s", before, after)
	}
	// The operations this branch implements must not merely agree: they must
	// answer NotFound.
	for _, name := range []string{"GetAccount", "GetUser", "ListUsers", "BatchSuspendUser", "BatchUnsuspendUser"} {
		if !notFound[name] {
			t.Errorf("%s: B naming A's account did not answer NotFoundException", name)
		}
	}
	t.Logf("%d implemented operations checked", tested)
}

// fill sets the members of an SDK input so the SDK's own validation passes:
// ids from ids by field name, lists of user ids, and placeholders elsewhere.
func fill(v reflect.Value, ids map[string]string, depth int) {
	if depth > 3 {
		return
	}
	for i := 0; i < v.NumField(); i++ {
		f, sf := v.Field(i), v.Type().Field(i)
		if !sf.IsExported() || sf.Name == "NextToken" || sf.Name == "MaxResults" {
			continue
		}
		switch f.Kind() {
		case reflect.Pointer:
			switch f.Type().Elem().Kind() {
			case reflect.String:
				s := placeholder(sf.Name, ids)
				f.Set(reflect.ValueOf(&s).Convert(f.Type()))
			case reflect.Bool:
				f.Set(reflect.New(f.Type().Elem()))
			case reflect.Struct:
				if f.Type().Elem().PkgPath() == "time" {
					continue
				}
				n := reflect.New(f.Type().Elem())
				fill(n.Elem(), ids, depth+1)
				f.Set(n)
			}
		case reflect.String:
			f.Set(enumOrPlaceholder(f.Type(), sf.Name, ids))
		case reflect.Slice:
			el := f.Type().Elem()
			item := reflect.New(el).Elem()
			switch el.Kind() {
			case reflect.String:
				name := strings.TrimSuffix(strings.TrimSuffix(sf.Name, "List"), "s")
				item.Set(enumOrPlaceholder(el, name, ids))
			case reflect.Struct:
				fill(item, ids, depth+1)
			default:
				continue
			}
			f.Set(reflect.Append(f, item))
		}
	}
}

func placeholder(name string, ids map[string]string) string {
	if id, ok := ids[name]; ok {
		return id
	}
	switch {
	case strings.HasSuffix(name, "Id"):
		return "2f0e0d0c-0b0a-4908-8706-050403020100"
	case strings.Contains(name, "Email"):
		return "someone@example.com"
	case strings.Contains(name, "PhoneNumber") || strings.Contains(name, "E164"):
		return "+12065550100"
	}
	return "isolation"
}

// enumOrPlaceholder returns the first value of an SDK enum type, else a
// placeholder string of type t.
func enumOrPlaceholder(t reflect.Type, name string, ids map[string]string) reflect.Value {
	if m, ok := reflect.Zero(t).Interface().(interface{ Values() []string }); ok && len(m.Values()) > 0 {
		return reflect.ValueOf(m.Values()[0]).Convert(t)
	}
	if vs := reflect.Zero(t).MethodByName("Values"); vs.IsValid() {
		if out := vs.Call(nil)[0]; out.Len() > 0 {
			return out.Index(0)
		}
	}
	return reflect.ValueOf(placeholder(name, ids)).Convert(t)
}
