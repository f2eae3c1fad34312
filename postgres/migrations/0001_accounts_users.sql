-- Accounts and users: the same tables, columns and indexes as
-- sqlite/migrations/0001_accounts_users.sql. Times are Unix milliseconds
-- (0 means unset) and booleans are 0/1, both BIGINT, so internal/sqlutil
-- reads and writes both engines with one set of queries.
CREATE TABLE accounts (
    id                     TEXT PRIMARY KEY,
    aws_account_id         TEXT NOT NULL,
    name                   TEXT NOT NULL,
    type                   TEXT NOT NULL,
    status                 TEXT NOT NULL,
    default_license        TEXT NOT NULL,
    supported_licenses     TEXT NOT NULL,  -- JSON array
    signin_delegate_groups TEXT NOT NULL,  -- JSON array
    created_at             BIGINT NOT NULL,
    deleted_at             BIGINT NOT NULL DEFAULT 0,
    disable_remote_control BIGINT NOT NULL DEFAULT 0,
    enable_dial_out        BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX accounts_by_owner ON accounts (aws_account_id, created_at, id);

CREATE TABLE users (
    account_id          TEXT NOT NULL,
    id                  TEXT NOT NULL,
    email               TEXT NOT NULL,
    email_norm          TEXT NOT NULL,
    display_name        TEXT NOT NULL DEFAULT '',
    license_type        TEXT NOT NULL,
    user_type           TEXT NOT NULL,
    registration_status TEXT NOT NULL,
    invitation_status   TEXT NOT NULL DEFAULT '',
    registered_on       BIGINT NOT NULL DEFAULT 0,
    invited_on          BIGINT NOT NULL DEFAULT 0,
    personal_pin        TEXT NOT NULL DEFAULT '',
    a4b_enabled         BIGINT NOT NULL DEFAULT 0,
    a4b_room_arn        TEXT NOT NULL DEFAULT '',
    provisioned_number  TEXT NOT NULL DEFAULT '',
    created_at          BIGINT NOT NULL,
    removed_at          BIGINT NOT NULL DEFAULT 0,
    last_logout_at      BIGINT NOT NULL DEFAULT 0,
    inbound_calling     BIGINT NOT NULL DEFAULT 1,
    outbound_calling    BIGINT NOT NULL DEFAULT 1,
    sms                 BIGINT NOT NULL DEFAULT 1,
    PRIMARY KEY (account_id, id)
);
-- One user per normalised email per account, enforced by the database so
-- that concurrent creations on different nodes cannot both succeed.
CREATE UNIQUE INDEX users_email ON users (account_id, email_norm);
CREATE INDEX users_order ON users (account_id, created_at, id);
CREATE INDEX users_by_email ON users (email_norm);
