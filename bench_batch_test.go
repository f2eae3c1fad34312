package openchime_test

import (
	"context"
	"fmt"
	"testing"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/sqlite"
)

// BenchmarkService_BatchUnsuspendUser50 measures a 50-user batch (each user
// changed: suspended, then unsuspended), audit event included.
func BenchmarkService_BatchUnsuspendUser50(b *testing.B) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, b.TempDir()+"/db")
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	svc := openchime.NewService(store)
	a, _ := svc.AdminCreateAccount(ctx, openchime.NewAccount{Name: "b", Type: openchime.EnterpriseLWA})
	news := make([]openchime.NewUser, 50)
	for i := range news {
		news[i] = openchime.NewUser{PrimaryEmail: fmt.Sprintf("u%d@example.com", i)}
	}
	users, _ := svc.AdminCreateUsers(ctx, a.ID, news)
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	for b.Loop() {
		if _, err := svc.BatchSuspendUser(ctx, a.ID, ids); err != nil {
			b.Fatal(err)
		}
		if _, err := svc.BatchUnsuspendUser(ctx, a.ID, ids); err != nil {
			b.Fatal(err)
		}
	}
}
