-- name: cities
-- The cities where the programme has ever worked, for filters.
-- params:
-- level: city
-- grain: none
SELECT DISTINCT city FROM sites ORDER BY city
