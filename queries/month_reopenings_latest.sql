-- name: month_reopenings_latest
-- The latest reopenings of approved months: which, who, when, why, and whose approval they undid.
-- params: limit
-- level: city
-- grain: month
SELECT city, month, reopened_by, reopened_at, reason, approved_by, approved_at
FROM month_reopenings
ORDER BY reopened_at DESC, city
LIMIT $limit
