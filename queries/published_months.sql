-- name: published_months
-- The months an audience's published set covers: from the first month with data to the last
-- whole month before the data's as-of date (the month in progress is never published); for
-- the donors and the public, to the last approved month (publication_cutoff), as the view
-- published_sets counts them. One row; both months NULL when nothing is published.
-- params: audience
-- level: programme
-- grain: none
SELECT min(month) AS first_month, max(month) AS last_month
FROM published_grid_months
WHERE audience = $audience
  AND ($audience NOT IN ('donor', 'public') OR month <= (SELECT approved_until FROM publication_cutoff))
