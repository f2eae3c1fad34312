-- Accounts and users. Times are Unix milliseconds; 0 means unset.
CREATE TABLE accounts (
    id                     TEXT PRIMARY KEY,
    aws_account_id         TEXT NOT NULL,
    name                   TEXT NOT NULL,
    type                   TEXT NOT NULL,
    status                 TEXT NOT NULL,
    default_license        TEXT NOT NULL,
    supported_licenses     TEXT NOT NULL,  -- JSON array
    signin_delegate_groups TEXT NOT NULL,  -- JSON array
    created_at             INTEGER NOT NULL,
    deleted_at             INTEGER NOT NULL DEFAULT 0,
    disable_remote_control INTEGER NOT NULL DEFAULT 0,
    enable_dial_out        INTEGER NOT NULL DEFAULT 0
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
    registered_on       INTEGER NOT NULL DEFAULT 0,
    invited_on          INTEGER NOT NULL DEFAULT 0,
    personal_pin        TEXT NOT NULL DEFAULT '',
    a4b_enabled         INTEGER NOT NULL DEFAULT 0,
    a4b_room_arn        TEXT NOT NULL DEFAULT '',
    provisioned_number  TEXT NOT NULL DEFAULT '',
    created_at          INTEGER NOT NULL,
    removed_at          INTEGER NOT NULL DEFAULT 0,
    last_logout_at      INTEGER NOT NULL DEFAULT 0,
    inbound_calling     INTEGER NOT NULL DEFAULT 1,
    outbound_calling    INTEGER NOT NULL DEFAULT 1,
    sms                 INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (account_id, id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX users_email ON users (account_id, email_norm);
CREATE INDEX users_order ON users (account_id, created_at, id);
CREATE INDEX users_by_email ON users (email_norm);
