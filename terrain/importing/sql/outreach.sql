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
