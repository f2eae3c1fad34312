package sqlutil

import (
	"context"

	openchime "github.com/openchime/openchime"
)

var _ openchime.UserCounter = (*Tx)(nil)

// CountUsers implements openchime.UserCounter with one aggregate query.
func (t *Tx) CountUsers(ctx context.Context) (openchime.UserCounts, error) {
	out := openchime.UserCounts{ByStatus: map[openchime.RegistrationStatus]int{}}
	// Grouped by the indexed column alone, so the index (users_by_status)
	// is read in order with no sort; removed users are counted apart.
	rows, err := t.Tx.QueryContext(ctx, `SELECT registration_status, count(*) FROM users WHERE removed_at = 0 GROUP BY registration_status`)
	if err != nil {
		return out, t.wrap("count users", err)
	}
	defer rows.Close()
	for rows.Next() {
		var status string
		var n int
		if err := rows.Scan(&status, &n); err != nil {
			return out, t.wrap("count users", err)
		}
		out.ByStatus[openchime.RegistrationStatus(status)] = n
	}
	if err := rows.Err(); err != nil {
		return out, t.wrap("count users", err)
	}
	err = t.Tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE removed_at <> 0`).Scan(&out.Removed)
	return out, t.wrap("count users", err)
}
