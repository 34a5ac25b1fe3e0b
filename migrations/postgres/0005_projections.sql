-- A site's time zone (minutes east of UTC) from its document, which decides its days: when a
-- dated answer expired, which day a self-check belongs to. Sites written before it are UTC+8.
ALTER TABLE sites ADD COLUMN utc_offset_minutes INTEGER NOT NULL DEFAULT 480;

-- Which side of the story each hazard photo is on (`before`: the report's, `after`: the latest
-- rectification's, empty: an earlier rectification's), so lists and the review queue show both
-- without loading documents. Existing hazards are re-projected once at start.
ALTER TABLE hazard_photos ADD COLUMN side TEXT NOT NULL DEFAULT '';
INSERT INTO counters (name, value) VALUES ('reproject_hazard_photos', 1);
