-- Lets the users-by-status metric count from a narrow index instead of
-- scanning the users table (openchime.UserCounter).
CREATE INDEX users_by_status ON users (registration_status, removed_at);
-- Lets a listing of one kind across every scope (the audit log without an
-- account filter) read in (created_at, id) order without sorting.
CREATE INDEX resources_by_time ON resources (kind, created_at, id);
