-- The email domains an Enterprise account claims (openchime.Account.ClaimedDomains),
-- as a JSON array; the same statement as sqlite/migrations/0003_account_claimed_domains.sql.
ALTER TABLE accounts ADD COLUMN claimed_domains TEXT NOT NULL DEFAULT '[]';
