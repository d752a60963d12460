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

-- name: approved_months
-- The file's rows that fall in an approved month (terrain/approvals.py): refused until the month
-- is reopened, since donors and the public may already have seen it.
SELECT i.row_number, a.city, strftime(a.month, '%Y-%m') AS month
FROM incoming AS i
JOIN sites AS s ON s.site_id = i.site_id
JOIN month_approvals AS a ON a.city = s.city AND a.month = date_trunc('month', i.night)
ORDER BY i.row_number;
