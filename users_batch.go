package openchime

import "context"

// usersByID reads the users of the account with the ids, tombstones
// included, keyed by id, in one round trip where the store can
// (UserBatchReader). Ids with no user are absent from the map.
func usersByID(ctx context.Context, tx ReadTx, accountID string, ids []string) (map[string]*User, error) {
	list, err := usersAt(ctx, tx, accountID, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*User, len(ids))
	for i, u := range list {
		if u != nil {
			out[ids[i]] = u
		}
	}
	return out, nil
}

// usersAt reads the users of the account with the distinct ids, tombstones
// included: out[i] is the user of ids[i], or nil. The batch calls use it
// instead of usersByID's map, which was most of their own allocations.
func usersAt(ctx context.Context, tx ReadTx, accountID string, ids []string) ([]*User, error) {
	out := make([]*User, len(ids))
	if b, ok := tx.(UserBatchReader); ok {
		list, err := b.UsersByID(ctx, accountID, ids)
		if err != nil {
			return nil, err
		}
		placeUsers(out, ids, list)
		return out, nil
	}
	for i, id := range ids {
		u, err := tx.User(ctx, accountID, id)
		if IsCode(err, NotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[i] = u
	}
	return out, nil
}

// placeUsers puts each user of list at the index of its id. A store that
// reads the ids one after another (the log store, nostore) answers in their
// order, so one pass places them; any other order (PostgreSQL and SQLite
// sort by id) goes through a map.
func placeUsers(out []*User, ids []string, list []*User) {
	j := 0
	for i, id := range ids {
		if j < len(list) && list[j].ID == id {
			out[i] = list[j]
			j++
		}
	}
	if j == len(list) {
		return
	}
	clear(out)
	at := make(map[string]int, len(ids))
	for i, id := range ids {
		at[id] = i
	}
	for _, u := range list {
		if i, ok := at[u.ID]; ok {
			out[i] = u
		}
	}
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
