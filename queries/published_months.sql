-- name: published_months
-- The months an audience's published set covers: from the first month with data to the last
-- whole month before the data's as-of date (the month in progress is never published).
-- params: audience
-- level: programme
-- grain: none
SELECT first_month, last_month
FROM published_sets
WHERE audience = $audience
