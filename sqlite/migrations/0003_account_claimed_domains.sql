-- The email domains an Enterprise account claims (openchime.Account.ClaimedDomains),
-- as a JSON array. The statement is the same in SQLite and PostgreSQL.
ALTER TABLE accounts ADD COLUMN claimed_domains TEXT NOT NULL DEFAULT '[]';
