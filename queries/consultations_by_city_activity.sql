-- name: consultations_by_city_activity
-- Consultations in a period, per city and activity (the Overview's headline figures).
-- Counts from the summary consultations_daily (terrain/summaries.sql), not the consultations rows.
-- params: start, end, cities
-- level: city
-- grain: none
-- published: consultations by activity
-- counts: consultations
-- lines: city; activity
SELECT
    s.city,
    c.activity::VARCHAR AS activity,
    sum(c.consultations)::BIGINT AS consultations
FROM consultations_daily AS c
JOIN sites AS s USING (site_id)
WHERE c.consulted_on BETWEEN $start AND $end
  AND (len($cities) = 0 OR s.city IN $cities)
GROUP BY ALL
ORDER BY s.city, activity
