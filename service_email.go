package openchime

import (
	"context"
	"slices"
)

// One account per email. The model documents ListAccounts' user-email filter
// as returning "the account the user belongs to": within one AWS account an
// email belongs to at most one live Chime account. OpenChime holds that rule
// here, above the Store, on every path that makes a user live:
// CreateUser, the control plane's AdminCreateUsers (409 ConflictException
// naming the other account) and InviteUsers (that invite Failed/NotSent),
// both for a new user and for restoring a removed one.
//
// Which users count as belonging to their account, state by state:
//   - Registered: yes.
//   - Unregistered with a pending invitation (Team): yes; the invitation
//     holds the address until the user is removed.
//   - Suspended (BatchSuspendUser on an Enterprise account, or a suspended
//     LWA user): yes; it can be unsuspended, so it still belongs.
//   - Removed from a Team account (BatchSuspendUser on Team sets RemovedAt):
//     no. Removal is the end of belonging; the address is free for another
//     account, and re-inviting it to the first account is refused while it
//     is live elsewhere. This is also what the store port's
//     AccountFilter.UserEmail means ("a user who is not removed"), so the
//     listing and the rule agree.
//   - Any user of a deleted account: no (the account is a tombstone).
//
// Under PostgreSQL these paths run SERIALIZABLE (they are not marked
// WithRowLocks), so the reads of the other accounts' users are predicate
// reads protected by SSI: of two concurrent creations of one address in two
// accounts, one commits and the other is retried, sees it and fails.

// emailOwnerProbe is how many addresses emailsElsewhere looks up one by one
// (an indexed account lookup each); beyond it, it reads the addresses'
// users account by account, in one batched read per account.
const emailOwnerProbe = 8

// emailsElsewhere returns, for each normalised email that belongs to a live
// user of another live account of a's AWS account, that account.
func (s *Service) emailsElsewhere(ctx context.Context, tx ReadTx, a *Account, emails []string) (map[string]*Account, error) {
	out := map[string]*Account{}
	if len(emails) == 0 {
		return out, nil
	}
	if len(emails) <= emailOwnerProbe {
		for _, e := range emails {
			list, err := tx.Accounts(ctx, AccountFilter{AwsAccountID: a.AwsAccountID, UserEmail: e, Limit: 2})
			if err != nil {
				return nil, err
			}
			for _, o := range list {
				if o.ID != a.ID {
					out[e] = o
					break
				}
			}
		}
		return out, nil
	}
	accounts, err := tx.Accounts(ctx, AccountFilter{AwsAccountID: a.AwsAccountID})
	if err != nil {
		return nil, err
	}
	for _, o := range accounts {
		if o.ID == a.ID {
			continue
		}
		users, err := usersByEmail(ctx, tx, o.ID, emails)
		if err != nil {
			return nil, err
		}
		for e, u := range users {
			if u != nil && !u.Removed() && out[e] == nil {
				out[e] = o
			}
		}
	}
	return out, nil
}

// emailConflict is the 409 of an address live in another account.
func emailConflict(email string, a, other *Account) error {
	return Errorf(Conflict, "The email %s already belongs to account %s (%s) of AWS account %s; an email belongs to at most one Chime account of an AWS account, so it cannot also be a user of account %s.",
		email, other.ID, other.Name, a.AwsAccountID, a.ID)
}

// firstAccount keeps the oldest account of a user-email listing: with the
// rule above there is at most one, and a state loaded from elsewhere (a
// snapshot, a fixture) that breaks it still answers one.
func firstAccount(list []*Account) []*Account {
	if len(list) <= 1 {
		return list
	}
	return slices.Clip(list[:1])
}
