-- The trust boundary (ADR 0005). Grid ids are an organisation's own: two organisations may both
-- have a grid-1, and creating one never reveals another organisation's.
CREATE TABLE grids_by_org (
    org_id TEXT NOT NULL REFERENCES orgs (id),
    id     TEXT NOT NULL,
    name   TEXT NOT NULL,
    PRIMARY KEY (org_id, id)
);
INSERT INTO grids_by_org (org_id, id, name) SELECT org_id, id, name FROM grids;
DROP TABLE grids;
ALTER TABLE grids_by_org RENAME TO grids;

-- Every photo a document references, so a photo is readable exactly where its documents are.
CREATE TABLE doc_photos (
    doc_id TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    PRIMARY KEY (doc_id, sha256)
);
CREATE INDEX doc_photos_sha ON doc_photos (sha256);
INSERT INTO doc_photos (doc_id, sha256) SELECT hazard_id, sha256 FROM hazard_photos;

-- Who uploaded a photo, so an uploader can read back their own upload before any document
-- references it, and a second uploader is not told that someone else had it.
CREATE TABLE blob_uploads (
    sha256      TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    uploaded_at BIGINT NOT NULL,
    PRIMARY KEY (sha256, user_id)
);
INSERT INTO blob_uploads (sha256, user_id, uploaded_at) SELECT sha256, uploaded_by, created_at FROM blobs;

-- When the server received each hazard event, beside the time the device wrote into it.
CREATE TABLE event_receipts (
    doc_id      TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    user_id     TEXT NOT NULL,
    device_id   TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (doc_id, event_id)
);

-- Inspections' photos were not projected before; the server fills doc_photos for them once.
INSERT INTO counters (name, value) VALUES ('reproject_inspections', 1);
