package openchime

import "context"

// UserCounts is how many users a store holds, by registration status, and
// how many were removed from their account (tombstones, not in ByStatus).
type UserCounts struct {
	ByStatus map[RegistrationStatus]int
	Removed  int
}

// UserCounter is an optional ReadTx capability: counting every user with
// one aggregate query instead of reading them. The metrics collector uses it
// when the store's transactions implement it.
type UserCounter interface {
	CountUsers(ctx context.Context) (UserCounts, error)
}

// CountUsers counts the users of every account: with one query when tx is a
// UserCounter, otherwise by reading every user (slow at scale).
func CountUsers(ctx context.Context, tx ReadTx) (UserCounts, error) {
	if c, ok := tx.(UserCounter); ok {
		return c.CountUsers(ctx)
	}
	out := UserCounts{ByStatus: map[RegistrationStatus]int{}}
	accounts, err := tx.Accounts(ctx, AccountFilter{IncludeDeleted: true})
	if err != nil {
		return out, err
	}
	for _, a := range accounts {
		users, err := tx.Users(ctx, UserFilter{AccountID: a.ID, IncludeRemoved: true})
		if err != nil {
			return out, err
		}
		for _, u := range users {
			if u.Removed() {
				out.Removed++
			} else {
				out.ByStatus[u.RegistrationStatus]++
			}
		}
	}
	return out, nil
}
