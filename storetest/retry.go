package storetest

import (
	"context"
	"errors"

	openchime "github.com/openchime/openchime"
)

// RetryEveryTx wraps a store so that every Update and View runs its callback
// twice: the first run's transaction is rolled back, as when PostgreSQL
// fails it with a serialization error, and the second one counts. Running a
// Service's tests over it shows callbacks that keep state from one attempt
// to the next (a slice appended to but never reset, a value decoded into
// but never cleared).
func RetryEveryTx(s openchime.Store) openchime.Store { return retryEveryTx{s} }

type retryEveryTx struct{ openchime.Store }

var errFirstAttempt = errors.New("storetest: first attempt, rolled back on purpose")

func (r retryEveryTx) Update(ctx context.Context, fn func(openchime.Tx) error) error {
	err := r.Store.Update(ctx, func(tx openchime.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return errFirstAttempt
	})
	if err != nil && !errors.Is(err, errFirstAttempt) {
		return err
	}
	return r.Store.Update(ctx, fn)
}

func (r retryEveryTx) View(ctx context.Context, fn func(openchime.ReadTx) error) error {
	if err := r.Store.View(ctx, fn); err != nil {
		return err
	}
	return r.Store.View(ctx, fn)
}
