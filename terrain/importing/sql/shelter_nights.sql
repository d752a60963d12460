-- name: duplicates_in_file
-- Rows whose key an earlier row of the file already holds, each with that first row.
SELECT i.row_number, d.first_row FROM incoming AS i
JOIN (SELECT site_id, night, min(row_number) AS first_row FROM incoming GROUP BY ALL HAVING count(*) > 1) AS d
    USING (site_id, night)
WHERE i.row_number <> d.first_row
ORDER BY i.row_number;

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
