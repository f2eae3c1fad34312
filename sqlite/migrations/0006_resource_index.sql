-- The index entries of the resources of the indexed kinds
-- (openchime.IndexEntries): one key, one resource, per (kind, index).
-- internal/sqlutil fills it from the existing resources in this migration's
-- transaction (BackfillIndex), with the Go function every write uses.
CREATE TABLE resource_index (
    kind       TEXT NOT NULL,
    index_name TEXT NOT NULL,
    index_key  TEXT NOT NULL,
    id         TEXT NOT NULL
);
CREATE UNIQUE INDEX resource_index_unique ON resource_index (kind, index_name, index_key);
CREATE INDEX resource_index_by_id ON resource_index (kind, id);
-- The hand-kept reverse indexes it replaces (openchime.LegacyKind).
DELETE FROM resources WHERE kind IN ('room-token', 'member-room', 'member-webhook');
