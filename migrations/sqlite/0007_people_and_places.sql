-- People and places (ADR 0007). A deactivated account keeps its row, its name and its history;
-- it can no longer sign in, refresh, use an access token or a console session.
ALTER TABLE users ADD COLUMN deactivated_at BIGINT;

-- Every change an administrator makes: who, when, what. Written in the transaction that makes
-- the change, so there is no change without its entry.
CREATE TABLE audit_log (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id   TEXT NOT NULL,
    at       BIGINT NOT NULL,
    actor_id TEXT NOT NULL,
    action   TEXT NOT NULL,
    target   TEXT NOT NULL,
    detail   TEXT NOT NULL
);
CREATE INDEX audit_log_org ON audit_log (org_id, seq);

-- Who answers for which part of a site (people::Facility); each must be someone the site's
-- hazards may be assigned to.
CREATE TABLE site_responsible (
    site_id  TEXT NOT NULL,
    facility TEXT NOT NULL,
    user_id  TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (site_id, facility, user_id)
);
CREATE INDEX site_responsible_user ON site_responsible (user_id);

-- A district's own code for a site (编号), as its spreadsheets name it: an import finds the site
-- it created before by it. Codes are each organisation's own.
CREATE TABLE site_codes (
    org_id  TEXT NOT NULL,
    code    TEXT NOT NULL,
    site_id TEXT NOT NULL UNIQUE,
    PRIMARY KEY (org_id, code)
);

-- Files a console user checked in a dry run, kept until they import them (or for an hour), so
-- the browser need not send them twice.
CREATE TABLE import_uploads (
    token_hash TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    format     TEXT NOT NULL,
    bytes      BLOB NOT NULL,
    created_at BIGINT NOT NULL
);
