package openchime

import (
	"cmp"
	"context"
	"slices"
)

// The Store may run an Update or View callback more than once: PostgreSQL
// fails a serializable transaction that conflicts with a concurrent one, and
// the store runs the callback again (postgres.Store). So a callback starts
// from scratch each time (lists it fills are reset at its start, values it
// decodes into are cleared), and what must happen once per request, such as
// consuming an injected fault, happens outside it or through a memo like
// perUserFaults. storetest.RetryEveryTx runs every callback twice to check.

// putUsersInOrder writes users in (normalised email, id) order, whatever
// order the request named them in. Two transactions that write overlapping
// users then take the row and unique-index locks in the same order and never
// deadlock: PostgreSQL would make one of them wait deadlock_timeout (1s by
// default) before failing it, to be retried.
func putUsersInOrder(ctx context.Context, tx Tx, users []*User) error {
	// Normalise each email once, not in every comparison.
	type keyed struct {
		email string
		u     *User
	}
	sorted := make([]keyed, len(users))
	for i, u := range users {
		sorted[i] = keyed{NormalizeEmail(u.PrimaryEmail), u}
	}
	slices.SortFunc(sorted, func(a, b keyed) int {
		return cmp.Or(cmp.Compare(a.email, b.email), cmp.Compare(a.u.ID, b.u.ID))
	})
	in := make([]*User, len(sorted))
	for i, k := range sorted {
		in[i] = k.u
	}
	return putUsers(ctx, tx, in)
}

// putUsers writes users in the order given, in one call where the store can
// (UserBatchWriter).
func putUsers(ctx context.Context, tx Tx, users []*User) error {
	if b, ok := tx.(UserBatchWriter); ok {
		return b.PutUsers(ctx, users)
	}
	for _, u := range users {
		if err := tx.PutUser(ctx, u); err != nil {
			return err
		}
	}
	return nil
}

// userFaultMemo asks the FaultInjector about each item of one batch request at most
// once, however many times the transaction runs: a rule that fires a number
// of times, or by chance, must not be consumed again by a retry, nor give a
// retry a different answer.
type userFaultMemo struct {
	s                  *Service
	op, aws, accountID string
	items              []askedFault
}

// askedFault is what userFaultMemo knows of one item.
type askedFault struct {
	asked bool
	found *UserError
}

func (s *Service) perUserFaults(op, awsAccountID, accountID string, n int) *userFaultMemo {
	return &userFaultMemo{s: s, op: op, aws: awsAccountID, accountID: accountID, items: make([]askedFault, n)}
}

// forUser is FaultInjector.ForUser for item i of the batch, whose user is
// userID.
func (m *userFaultMemo) forUser(i int, userID string) *UserError {
	if m.s.Faults == nil {
		return nil
	}
	if it := &m.items[i]; !it.asked {
		it.asked = true
		it.found = m.s.Faults.ForUser(m.op, m.aws, m.accountID, userID)
	}
	return m.items[i].found
}
