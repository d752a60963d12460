-- name: duplicates_in_file
-- Rows whose key an earlier row of the file already holds, each with that first row.
SELECT i.row_number, d.first_row FROM incoming AS i
JOIN (SELECT site_id, min(row_number) AS first_row FROM incoming GROUP BY ALL HAVING count(*) > 1) AS d
    USING (site_id)
WHERE i.row_number <> d.first_row
ORDER BY i.row_number;

-- name: already_present
SELECT i.row_number FROM incoming AS i
WHERE EXISTS (SELECT 1 FROM sites AS t WHERE t.site_id = i.site_id)
ORDER BY i.row_number;

-- name: replaced_rows
SELECT count(*) FROM sites AS t WHERE EXISTS (SELECT 1 FROM incoming AS i WHERE t.site_id = i.site_id);

-- name: replace_existing
-- Nights, consultations and visits refer to a site: its row is updated, never deleted.
UPDATE sites SET
    name = i.name, city = i.city, commune_code = i.commune_code, departement = i.departement,
    site_type = i.site_type, latitude = i.latitude, longitude = i.longitude,
    bed_capacity = i.bed_capacity, population_focus = i.population_focus,
    opened = i.opened, closed = i.closed
FROM incoming AS i
WHERE sites.site_id = i.site_id;

-- name: insert
INSERT INTO sites BY NAME
SELECT * EXCLUDE (row_number) FROM incoming AS i
WHERE NOT EXISTS (SELECT 1 FROM sites AS t WHERE t.site_id = i.site_id);
