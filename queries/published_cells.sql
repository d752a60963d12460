-- name: published_cells
-- Every cell of an audience's published set (terrain/disclosure/publication.py), as that
-- audience sees it: a hidden cell has no value, only its status ('small', 'small_or_zero' or
-- 'protect').
-- What the `publish` pack holds and what the release ledger checks; never the rows.
-- params: audience
-- level: city
-- grain: month
SELECT measure, breakdown, category, city, month, value, status, k
FROM published_cells
WHERE audience = $audience
ORDER BY measure, breakdown, month, city, category
