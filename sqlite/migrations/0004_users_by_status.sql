-- Lets the users-by-status metric count from a narrow index instead of
-- scanning the users table (openchime.UserCounter).
CREATE INDEX users_by_status ON users (registration_status, removed_at);
