-- What the tracking API shows about a hazard without loading its document.
ALTER TABLE hazards ADD COLUMN clauses TEXT NOT NULL DEFAULT '[]';
ALTER TABLE hazards ADD COLUMN gb35181 TEXT;
ALTER TABLE hazards ADD COLUMN measure TEXT NOT NULL DEFAULT '';
CREATE INDEX hazards_org_reported ON hazards (org_id, reported_at);
CREATE INDEX hazards_assignee ON hazards (assignee, status);
CREATE INDEX inspections_org_started ON inspections (org_id, started_at);
