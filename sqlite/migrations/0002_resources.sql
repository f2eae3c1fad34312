-- Resources of the lower-volume kinds, as JSON documents (openchime.Resource).
CREATE TABLE resources (
    kind       TEXT NOT NULL,
    id         TEXT NOT NULL,
    scope      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    data       TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE INDEX resources_by_scope ON resources (kind, scope, created_at, id);
