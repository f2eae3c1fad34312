package nostore_test

import (
	"context"
	"reflect"
	"testing"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/internal/nostore"
)

// TestStore_AnswersTheBenchmarkCalls checks that the Service answers the
// benchmark's operations on the store that stores nothing.
func TestStore_AnswersTheBenchmarkCalls(t *testing.T) {
	svc := openchime.NewService(nostore.New(250))
	ctx := context.Background()
	for _, batch := range []func(context.Context, string, []string) ([]openchime.UserError, error){svc.BatchUnsuspendUser, svc.BatchSuspendUser} {
		errs, err := batch(ctx, "acct", []string{"u1", "u2"})
		if err != nil || len(errs) != 0 {
			t.Fatalf("batch: %v %v", errs, err)
		}
	}
	if _, err := svc.GetUser(ctx, "acct", "u1"); err != nil {
		t.Fatal(err)
	}
	n, token := 0, ""
	for {
		list, next, err := svc.ListUsers(ctx, openchime.ListUsersInput{AccountID: "acct", Page: openchime.Page{MaxResults: 100, NextToken: token}})
		if err != nil {
			t.Fatal(err)
		}
		n += len(list)
		if next == "" {
			break
		}
		token = next
	}
	if n != 250 {
		t.Fatalf("ListUsers walked %d users, want 250", n)
	}
}

// TestStore_UsersByIDIsUser checks that the batch read answers as User does.
func TestStore_UsersByIDIsUser(t *testing.T) {
	s := nostore.New(1)
	ctx := context.Background()
	ids := []string{"u1", "a-longer-id", "u1"}
	s.View(ctx, func(tx openchime.ReadTx) error {
		list, err := tx.(openchime.UserBatchReader).UsersByID(ctx, "acct", ids)
		if err != nil || len(list) != len(ids) {
			t.Fatalf("UsersByID = %d users, %v", len(list), err)
		}
		for i, id := range ids {
			want, _ := tx.User(ctx, "acct", id)
			if !reflect.DeepEqual(list[i], want) {
				t.Errorf("UsersByID[%d] = %+v, want %+v", i, list[i], want)
			}
		}
		return nil
	})
}

// TestStore_UsersPage checks a page's users against User and the ids'
// spelling.
func TestStore_UsersPage(t *testing.T) {
	s := nostore.New(100000005)
	ctx := context.Background()
	s.View(ctx, func(tx openchime.ReadTx) error {
		list, err := tx.Users(ctx, openchime.UserFilter{AccountID: "acct", After: &openchime.Cursor{ID: "u99999997"}, Limit: 4})
		if err != nil || len(list) != 4 {
			t.Fatalf("Users = %d users, %v", len(list), err)
		}
		for i, id := range []string{"u99999998", "u99999999", "u100000000", "u100000001"} {
			want, _ := tx.User(ctx, "acct", id)
			if !reflect.DeepEqual(list[i], want) {
				t.Errorf("Users[%d] = %+v, want %+v", i, list[i], want)
			}
		}
		return nil
	})
}
