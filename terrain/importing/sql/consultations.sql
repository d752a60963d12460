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

-- name: approved_months
-- The file's rows that fall in an approved month (terrain/approvals.py): refused until the month
-- is reopened, since donors and the public may already have seen it.
SELECT i.row_number, a.city, strftime(a.month, '%Y-%m') AS month
FROM incoming AS i
JOIN sites AS s ON s.site_id = i.site_id
JOIN month_approvals AS a ON a.city = s.city AND a.month = date_trunc('month', i.consulted_on)
ORDER BY i.row_number;
