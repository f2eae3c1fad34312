// Package sqlutil is the SQL the sqlite and postgres stores share.
//
// Its [Tx] implements openchime.Tx once, in the SQL dialect both databases
// accept ($N parameters, ON CONFLICT upserts, integer booleans,
// Unix-millisecond times), over a [Querier]: the three calls (Exec, Query,
// QueryRow) a transaction needs. [SQLTx] adapts a database/sql transaction
// to it (the sqlite store); the postgres store adapts a pgx connection, so
// neither driver leaks into this package. A store fills in the rest: its
// driver-error mapping (Tx.MapErr), PostgreSQL's locking clauses for a
// row-locked transaction (Tx.AccountLock, Tx.RowLock), and batch statements
// built from [UserColumns] and [UserUpsert].
//
// It also holds the migration runner ([ReadMigrations], [Migrate]) that
// applies a store's embedded NNNN_name.sql files.
package sqlutil
