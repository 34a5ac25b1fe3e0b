-- Periodic reports (daily, weekly, monthly), for the district (grid_id '') or one grid: the
-- figures as generated, as JSON. One row per scope and period: generating again replaces it.
CREATE TABLE reports (
    id           TEXT PRIMARY KEY,
    org_id       TEXT NOT NULL,
    grid_id      TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('daily', 'weekly', 'monthly')),
    period_start BIGINT NOT NULL,
    period_end   BIGINT NOT NULL,
    generated_at BIGINT NOT NULL,
    -- 'schedule' or 'demand'; partial: generated before the period ended.
    trigger_kind TEXT NOT NULL,
    generated_by TEXT,
    partial      INTEGER NOT NULL,
    body         TEXT NOT NULL
);
CREATE UNIQUE INDEX reports_scope_period ON reports (org_id, grid_id, kind, period_start);
CREATE INDEX reports_org_generated ON reports (org_id, generated_at);

-- Each site's four-colour grade whenever it was seen to change (by a report run), so a site's
-- archive can show its grade history.
CREATE TABLE site_grades (
    site_id TEXT NOT NULL,
    org_id  TEXT NOT NULL,
    at      BIGINT NOT NULL,
    grade   TEXT NOT NULL,
    points  BIGINT NOT NULL
);
CREATE INDEX site_grades_site ON site_grades (site_id, at);
