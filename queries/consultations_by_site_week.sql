-- name: consultations_by_site_week
-- Consultations per site and week (weeks start on Monday) from start to end: an import's
-- "usual week" at each site, against which an unusual week in the file is flagged.
-- params: start, end
-- level: site
-- grain: week
-- counts: consultations
SELECT
    site_id,
    date_trunc('week', consulted_on)::DATE AS week,
    count(*) AS consultations
FROM consultations
WHERE consulted_on BETWEEN $start AND $end
GROUP BY ALL
ORDER BY site_id, week
