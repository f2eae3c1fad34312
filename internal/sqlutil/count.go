package sqlutil

import (
	"context"

	openchime "github.com/openchime/openchime"
)

var _ openchime.UserCounter = (*Tx)(nil)

// CountUsers implements openchime.UserCounter with one aggregate query.
func (t *Tx) CountUsers(ctx context.Context) (openchime.UserCounts, error) {
	out := openchime.UserCounts{ByStatus: map[openchime.RegistrationStatus]int{}}
	// Grouped by the leading column of users_by_status (registration_status,
	// removed_at), so in SQLite one ordered pass over that covering index
	// counts both the live users by status and the removed ones. PostgreSQL
	// has no such index (its migration 0005: it kept status changes from
	// being HOT updates) and scans the table; the metric caches the count.
	rows, err := t.Q.Query(ctx, `SELECT registration_status,
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
	if err := rows.Err(); err != nil {
		return out, t.Wrap("count users", err)
	}
	return out, t.Wrap("count users", rows.Close())
}
