-- The twin of postgres/migrations/0005_hot_status_updates.sql, which drops
-- users_by_status so that PostgreSQL can make status changes HOT updates.
-- SQLite has no HOT updates to protect, and counts users by status from
-- that index (metrics), so it keeps it: this migration changes nothing.
SELECT 1;
