package sqlutil

import (
	"context"

	openchime "github.com/openchime/openchime"
)

var _ openchime.UserCounter = (*Tx)(nil)

// CountUsers implements openchime.UserCounter with one aggregate query.
func (t *Tx) CountUsers(ctx context.Context) (openchime.UserCounts, error) {
	out := openchime.UserCounts{ByStatus: map[openchime.RegistrationStatus]int{}}
	// One pass over the table counts both the live users by status and the
	// removed ones. There is no index on the status any more (migration
	// 0005: it made every status change rewrite index pages, and kept
	// PostgreSQL from HOT updates); the metric that calls this caches it.
	rows, err := t.Tx.QueryContext(ctx, `SELECT registration_status,
		sum(CASE WHEN removed_at = 0 THEN 1 ELSE 0 END), sum(CASE WHEN removed_at = 0 THEN 0 ELSE 1 END)
		FROM users GROUP BY registration_status`)
	if err != nil {
		return out, t.Wrap("count users", err)
	}
	defer rows.Close()
	for rows.Next() {
		var status string
		var live, removed int
		if err := rows.Scan(&status, &live, &removed); err != nil {
			return out, t.Wrap("count users", err)
		}
		if live > 0 { // a status held only by removed users is not listed
			out.ByStatus[openchime.RegistrationStatus(status)] = live
		}
		out.Removed += removed
	}
	return out, t.Wrap("count users", rows.Err())
}
