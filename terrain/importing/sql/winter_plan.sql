-- name: duplicates_in_file
-- Rows whose key an earlier row of the file already holds, each with that first row.
SELECT i.row_number, d.first_row FROM incoming AS i
JOIN (SELECT area, starts, min(row_number) AS first_row FROM incoming GROUP BY ALL HAVING count(*) > 1) AS d
    USING (area, starts)
WHERE i.row_number <> d.first_row
ORDER BY i.row_number;

-- name: already_present
SELECT i.row_number FROM incoming AS i
WHERE EXISTS (SELECT 1 FROM winter_plan AS t WHERE t.area = i.area AND t.starts = i.starts)
ORDER BY i.row_number;

-- name: replaced_rows
SELECT count(*) FROM winter_plan AS t
WHERE EXISTS (SELECT 1 FROM incoming AS i WHERE t.area = i.area AND t.starts = i.starts);

-- name: replace_existing
DELETE FROM winter_plan AS t
WHERE EXISTS (SELECT 1 FROM incoming AS i WHERE t.area = i.area AND t.starts = i.starts);

-- name: insert
INSERT INTO winter_plan BY NAME SELECT * EXCLUDE (row_number) FROM incoming;
