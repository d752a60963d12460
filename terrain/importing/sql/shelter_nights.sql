-- name: already_present
SELECT i.row_number FROM incoming AS i
WHERE EXISTS (SELECT 1 FROM shelter_nights AS t WHERE t.site_id = i.site_id AND t.night = i.night)
ORDER BY i.row_number;

-- name: replaced_rows
SELECT count(*) FROM shelter_nights AS t
WHERE EXISTS (SELECT 1 FROM incoming AS i WHERE t.site_id = i.site_id AND t.night = i.night);

-- name: replace_existing
DELETE FROM shelter_nights AS t
WHERE EXISTS (SELECT 1 FROM incoming AS i WHERE t.site_id = i.site_id AND t.night = i.night);

-- name: insert
INSERT INTO shelter_nights BY NAME SELECT * EXCLUDE (row_number) FROM incoming;
