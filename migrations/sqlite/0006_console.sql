-- Browser sessions of the console. The cookie holds a random token; only its SHA-256 is kept,
-- with the CSRF token every state-changing request must carry.
CREATE TABLE console_sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    csrf       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    seen_at    BIGINT NOT NULL
);
CREATE INDEX console_sessions_user ON console_sessions (user_id);

-- What the console counts per site and per organisation, read from the index alone: open and
-- overdue hazards by status and severity.
CREATE INDEX hazards_site_counts ON hazards (site_id, status, severity, deadline);
CREATE INDEX hazards_org_counts ON hazards (org_id, status, severity, deadline);

-- Every completion of a site's self-check tasks, so compliance over a period is computed for any
-- number of sites without loading their task plan documents. Existing plans are re-projected
-- once at start.
CREATE TABLE task_completions (
    site_id TEXT NOT NULL,
    task_id TEXT NOT NULL,
    at      BIGINT NOT NULL
);
CREATE INDEX task_completions_site ON task_completions (site_id, at);
INSERT INTO counters (name, value) VALUES ('reproject_task_plans', 1);
