-- Resources of the lower-volume kinds, as JSON documents (openchime.Resource);
-- the same table as sqlite/migrations/0002_resources.sql. data stays TEXT,
-- not JSONB: the store never looks inside it.
CREATE TABLE resources (
    kind       TEXT NOT NULL,
    id         TEXT NOT NULL,
    scope      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    data       TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX resources_by_scope ON resources (kind, scope, created_at, id);
