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
