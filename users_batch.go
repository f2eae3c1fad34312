package openchime

import "context"

// usersByID reads the users of the account with the ids, tombstones
// included, keyed by id, in one round trip where the store can
// (UserBatchReader). Ids with no user are absent from the map.
func usersByID(ctx context.Context, tx ReadTx, accountID string, ids []string) (map[string]*User, error) {
	out := make(map[string]*User, len(ids))
	if b, ok := tx.(UserBatchReader); ok {
		list, err := b.UsersByID(ctx, accountID, ids)
		if err != nil {
			return nil, err
		}
		for _, u := range list {
			out[u.ID] = u
		}
		return out, nil
	}
	for _, id := range ids {
		u, err := tx.User(ctx, accountID, id)
		if IsCode(err, NotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[id] = u
	}
	return out, nil
}

// usersByEmail reads the users of the account with the normalised emails,
// tombstones included, keyed by normalised email.
func usersByEmail(ctx context.Context, tx ReadTx, accountID string, emails []string) (map[string]*User, error) {
	out := make(map[string]*User, len(emails))
	if b, ok := tx.(UserBatchReader); ok {
		list, err := b.UsersByEmail(ctx, accountID, emails)
		if err != nil {
			return nil, err
		}
		for _, u := range list {
			out[NormalizeEmail(u.PrimaryEmail)] = u
		}
		return out, nil
	}
	for _, e := range emails {
		u, err := tx.UserByEmail(ctx, accountID, e)
		if IsCode(err, NotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[e] = u
	}
	return out, nil
}

// updateRows is Store.Update for a per-user path whose invariants are row
// locks (WithRowLocks).
func (s *Service) updateRows(ctx context.Context, fn func(Tx) error) error {
	return s.Store.Update(WithRowLocks(ctx), fn)
}

// lastOfEach keeps the last of the users that share an id: what a request
// that changed one user twice leaves behind.
func lastOfEach(users []*User) []*User {
	last := make(map[string]int, len(users))
	for i, u := range users {
		last[u.ID] = i
	}
	out := users[:0:0]
	for i, u := range users {
		if last[u.ID] == i {
			out = append(out, u)
		}
	}
	return out
}
