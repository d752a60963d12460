-- Consultations have no key: a file stands for every consultation of each site and day it
-- contains, so it replaces all the consultations of those site-days.

-- name: already_present
SELECT i.row_number FROM incoming AS i
WHERE EXISTS (SELECT 1 FROM consultations AS t WHERE t.site_id = i.site_id AND t.consulted_on = i.consulted_on)
ORDER BY i.row_number;

-- name: replaced_rows
SELECT count(*) FROM consultations AS t
WHERE EXISTS (SELECT 1 FROM incoming AS i WHERE t.site_id = i.site_id AND t.consulted_on = i.consulted_on);

-- name: replace_existing
DELETE FROM consultations AS t
WHERE EXISTS (SELECT 1 FROM incoming AS i WHERE t.site_id = i.site_id AND t.consulted_on = i.consulted_on);

-- name: insert
INSERT INTO consultations BY NAME SELECT * EXCLUDE (row_number) FROM incoming;
