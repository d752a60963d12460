-- name: consultations_by_city_activity
-- Consultations in a period, per city and activity (the Overview's headline figures).
-- Counts from the summary consultations_daily (terrain/summaries.sql), not the consultations rows.
-- params: start, end, cities
-- level: city
-- grain: none
-- published: consultations by activity
-- counts: consultations
-- lines: city; activity
SELECT c.city, c.activity::VARCHAR AS activity, sum(c.consultations)::BIGINT AS consultations
FROM consultations_in('consultations_daily', $start, $end, $cities) AS c
GROUP BY ALL
ORDER BY c.city, activity
