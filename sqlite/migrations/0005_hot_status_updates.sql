-- The twin of postgres/migrations/0005_hot_status_updates.sql. A status
-- change is the most frequent write; users_by_status (0004) made each one
-- rewrite index pages too. The user-count metric it served is cached and
-- reads the table instead. (SQLite has no fillfactor.)
DROP INDEX IF EXISTS users_by_status;
