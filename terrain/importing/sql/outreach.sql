-- name: duplicates_in_file
-- Rows whose key an earlier row of the file already holds, each with that first row.
SELECT i.row_number, d.first_row FROM incoming AS i
JOIN (SELECT visited_on, team_id, place_type, min(row_number) AS first_row FROM incoming GROUP BY ALL HAVING count(*) > 1) AS d
    USING (visited_on, team_id, place_type)
WHERE i.row_number <> d.first_row
ORDER BY i.row_number;

-- name: already_present
SELECT i.row_number FROM incoming AS i
WHERE EXISTS (SELECT 1 FROM outreach AS t
              WHERE t.visited_on = i.visited_on AND t.team_id = i.team_id AND t.place_type = i.place_type)
ORDER BY i.row_number;

-- name: replaced_rows
SELECT count(*) FROM outreach AS t
WHERE EXISTS (SELECT 1 FROM incoming AS i
              WHERE t.visited_on = i.visited_on AND t.team_id = i.team_id AND t.place_type = i.place_type);

-- name: replace_existing
DELETE FROM outreach AS t
WHERE EXISTS (SELECT 1 FROM incoming AS i
              WHERE t.visited_on = i.visited_on AND t.team_id = i.team_id AND t.place_type = i.place_type);

-- name: insert
INSERT INTO outreach BY NAME SELECT * EXCLUDE (row_number) FROM incoming;

-- name: approved_months
-- The file's rows that fall in an approved month (terrain/approvals.py): refused until the month
-- is reopened, since donors and the public may already have seen it.
SELECT i.row_number, a.city, strftime(a.month, '%Y-%m') AS month
FROM incoming AS i
JOIN sites AS s ON s.site_id = i.team_id
JOIN month_approvals AS a ON a.city = s.city AND a.month = date_trunc('month', i.visited_on)
ORDER BY i.row_number;
