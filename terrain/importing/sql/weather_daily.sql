-- name: duplicates_in_file
-- Rows whose key an earlier row of the file already holds, each with that first row.
SELECT i.row_number, d.first_row FROM incoming AS i
JOIN (SELECT city, day, min(row_number) AS first_row FROM incoming GROUP BY ALL HAVING count(*) > 1) AS d
    USING (city, day)
WHERE i.row_number <> d.first_row
ORDER BY i.row_number;

-- name: already_present
SELECT i.row_number FROM incoming AS i
WHERE EXISTS (SELECT 1 FROM weather_daily AS t WHERE t.city = i.city AND t.day = i.day)
ORDER BY i.row_number;

-- name: replaced_rows
SELECT count(*) FROM weather_daily AS t
WHERE EXISTS (SELECT 1 FROM incoming AS i WHERE t.city = i.city AND t.day = i.day);

-- name: replace_existing
DELETE FROM weather_daily AS t
WHERE EXISTS (SELECT 1 FROM incoming AS i WHERE t.city = i.city AND t.day = i.day);

-- name: insert
INSERT INTO weather_daily BY NAME SELECT * EXCLUDE (row_number) FROM incoming;

-- name: approved_months
-- The file's rows that fall in an approved month (terrain/approvals.py): refused until the month
-- is reopened, since donors and the public may already have seen it. A city the programme has
-- sites in but none open that month (one it has left) has cold nights in the published grid
-- and no approval of its own: its weather is refused in a month approved for other cities,
-- named as the ones to reopen.
SELECT i.row_number, coalesce(a.city, o.cities) AS city, strftime(date_trunc('month', i.day), '%Y-%m') AS month
FROM incoming AS i
LEFT JOIN month_approvals AS a ON a.city = i.city AND a.month = date_trunc('month', i.day)
LEFT JOIN (SELECT month, string_agg(city, ', ' ORDER BY city) AS cities FROM month_approvals GROUP BY month) AS o
    ON o.month = date_trunc('month', i.day)
   AND i.city IN (SELECT city FROM sites)
   AND NOT EXISTS (SELECT 1 FROM sites AS s
                   WHERE s.city = i.city AND s.opened <= last_day(o.month) AND (s.closed IS NULL OR s.closed >= o.month))
WHERE a.city IS NOT NULL OR o.cities IS NOT NULL
ORDER BY i.row_number;
