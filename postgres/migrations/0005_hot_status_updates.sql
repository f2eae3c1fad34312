-- A status change is the most frequent write (BatchSuspendUser and
-- BatchUnsuspendUser change 50 rows each). With no index on a column it
-- changes and room left on the page, PostgreSQL makes it a HOT update: the
-- new row version goes on the same page and no index is touched. The
-- users_by_status index (0004) made every status change a non-HOT update that
-- wrote new entries into four B-trees; the user-count metric it served is
-- cached and reads the table instead. fillfactor applies to pages written
-- from now on.
DROP INDEX IF EXISTS users_by_status;
ALTER TABLE users SET (fillfactor = 80);
