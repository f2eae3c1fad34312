package sqlutil

import (
	"context"

	openchime "github.com/openchime/openchime"
)

var _ openchime.UserCounter = (*Tx)(nil)

// CountUsers implements openchime.UserCounter with one aggregate query.
func (t *Tx) CountUsers(ctx context.Context) (openchime.UserCounts, error) {
	out := openchime.UserCounts{ByStatus: map[openchime.RegistrationStatus]int{}}
	rows, err := t.Tx.QueryContext(ctx, `SELECT registration_status, removed_at <> 0, count(*) FROM users GROUP BY 1, 2`)
	if err != nil {
		return out, t.wrap("count users", err)
	}
	defer rows.Close()
	for rows.Next() {
		var status string
		var removed bool
		var n int
		if err := rows.Scan(&status, &removed, &n); err != nil {
			return out, t.wrap("count users", err)
		}
		if removed {
			out.Removed += n
		} else {
			out.ByStatus[openchime.RegistrationStatus(status)] += n
		}
	}
	return out, t.wrap("count users", rows.Err())
}
