-- Closeloop server schema, PostgreSQL. Times are milliseconds since the Unix epoch (UTC); flags are
-- 0/1 integers so that the same queries run on SQLite and PostgreSQL.

CREATE TABLE orgs (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE grids (
    id     TEXT PRIMARY KEY,
    org_id TEXT NOT NULL REFERENCES orgs (id),
    name   TEXT NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL REFERENCES orgs (id),
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('inspector', 'owner', 'supervisor', 'admin')),
    password_hash TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE user_grids (
    user_id TEXT NOT NULL REFERENCES users (id),
    grid_id TEXT NOT NULL,
    PRIMARY KEY (user_id, grid_id)
);

CREATE TABLE user_sites (
    user_id TEXT NOT NULL REFERENCES users (id),
    site_id TEXT NOT NULL,
    PRIMARY KEY (user_id, site_id)
);

-- Automerge actors bound to (user, device): a change from any other actor is refused.
CREATE TABLE device_actors (
    actor_id      TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id),
    device_id     TEXT NOT NULL,
    registered_at BIGINT NOT NULL
);

-- Refresh tokens are stored hashed; a family is every token descended from one login.
CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    family_id  TEXT NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id),
    device_id  TEXT NOT NULL,
    issued_at  BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,
    revoked_at BIGINT
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);

-- The authoritative automerge documents. `version` guards concurrent writers (optimistic).
CREATE TABLE documents (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL,
    org_id      TEXT NOT NULL,
    grid_id     TEXT NOT NULL,
    site_id     TEXT NOT NULL,
    bytes       BYTEA NOT NULL,
    heads       TEXT NOT NULL,
    version     BIGINT NOT NULL,
    updated_seq BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- Every accepted change batch, numbered in commit order: the feed.
CREATE TABLE doc_changes (
    seq        BIGINT PRIMARY KEY,
    doc_id     TEXT NOT NULL,
    kind       TEXT NOT NULL,
    org_id     TEXT NOT NULL,
    grid_id    TEXT NOT NULL,
    site_id    TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    device_id  TEXT NOT NULL,
    bytes      BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX doc_changes_org_seq ON doc_changes (org_id, seq);
CREATE INDEX doc_changes_doc ON doc_changes (doc_id);

-- Counters updated inside write transactions; the row lock makes feed numbers follow commit order.
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('feed', 0);

CREATE TABLE blobs (
    sha256       TEXT PRIMARY KEY,
    size         BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    org_id       TEXT NOT NULL,
    uploaded_by  TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);

-- Projections: derived from the documents in the same transaction that accepts them.
CREATE TABLE sites (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL,
    grid_id    TEXT NOT NULL,
    name       TEXT NOT NULL,
    address    TEXT NOT NULL,
    premises   TEXT NOT NULL,
    lat        DOUBLE PRECISION,
    lon        DOUBLE PRECISION,
    profile    TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX sites_org_grid ON sites (org_id, grid_id);

CREATE TABLE hazards (
    id                TEXT PRIMARY KEY,
    org_id            TEXT NOT NULL,
    grid_id           TEXT NOT NULL,
    site_id           TEXT NOT NULL,
    inspection_id     TEXT,
    item_id           TEXT,
    title             TEXT NOT NULL,
    status            TEXT NOT NULL,
    severity          TEXT NOT NULL,
    assignee          TEXT,
    deadline          BIGINT,
    reported_at       BIGINT,
    assigned_at       BIGINT,
    submitted_at      BIGINT,
    closed_at         BIGINT,
    evidence_complete INTEGER NOT NULL,
    photo_count       INTEGER NOT NULL,
    event_count       INTEGER NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX hazards_org_status ON hazards (org_id, status, deadline);
CREATE INDEX hazards_site ON hazards (site_id, status);
CREATE INDEX hazards_grid ON hazards (grid_id, status);

CREATE TABLE hazard_photos (
    hazard_id TEXT NOT NULL,
    sha256    TEXT NOT NULL,
    PRIMARY KEY (hazard_id, sha256)
);
CREATE INDEX hazard_photos_sha ON hazard_photos (sha256);

CREATE TABLE inspections (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL,
    grid_id       TEXT NOT NULL,
    site_id       TEXT NOT NULL,
    inspector     TEXT NOT NULL,
    purpose       TEXT NOT NULL,
    started_at    BIGINT NOT NULL,
    signed_off_at BIGINT,
    items         INTEGER NOT NULL,
    answered      INTEGER NOT NULL,
    failed        INTEGER NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX inspections_site ON inspections (site_id, started_at);

CREATE TABLE tasks (
    site_id     TEXT NOT NULL,
    task_id     TEXT NOT NULL,
    org_id      TEXT NOT NULL,
    grid_id     TEXT NOT NULL,
    title       TEXT NOT NULL,
    frequency   TEXT NOT NULL,
    completions INTEGER NOT NULL,
    last_done   BIGINT,
    PRIMARY KEY (site_id, task_id)
);
