package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	openchime "github.com/openchime/openchime"
	"github.com/openchime/openchime/storetest"
)

// TestStore_RowLocked_HoldsTheAccount checks the lock that stands in for
// SERIALIZABLE on the per-user paths: while a row-locked transaction that
// read an account is open, a change to that account waits for it, so a
// batch never commits into an account suspended after it checked.
func TestStore_RowLocked_HoldsTheAccount(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	storetest.MustPutAccount(t, s, &openchime.Account{ID: "a", AwsAccountID: "111111111111", Name: "A",
		Type: openchime.EnterpriseLWA, Status: openchime.AccountActive, DefaultLicense: openchime.Pro})

	held, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	batch := make(chan error, 1)
	go func() {
		locked := openchime.WithRowLocks(ctx)
		batch <- s.Update(locked, func(tx openchime.Tx) error {
			if _, err := tx.Account(locked, "a"); err != nil {
				return err
			}
			once.Do(func() { close(held) })
			<-release
			return nil
		})
	}()
	<-held
	suspend := make(chan error, 1)
	go func() {
		suspend <- s.Update(ctx, func(tx openchime.Tx) error {
			a, err := tx.Account(ctx, "a")
			if err != nil {
				return err
			}
			a.Status = openchime.AccountSuspended
			return tx.PutAccount(ctx, a)
		})
	}()
	// The suspension must end up waiting for a lock, not commit.
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case err := <-suspend:
			close(release)
			t.Fatalf("the account was changed (err=%v) while a row-locked transaction that read it was open", err)
		default:
		}
		var waiting int
		if err := s.DB().QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		if time.Now().After(deadline) {
			close(release)
			t.Fatal("the account change neither committed nor waited for a lock within 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(release)
	if err := <-batch; err != nil {
		t.Fatalf("row-locked transaction: %v", err)
	}
	if err := <-suspend; err != nil {
		t.Fatalf("account change after the row-locked transaction ended: %v", err)
	}
}
