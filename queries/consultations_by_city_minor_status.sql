-- name: consultations_by_city_minor_status
-- Consultations in a period per city and unaccompanied-minor status (yes, no, unknown).
-- City level, the donors' view: no site, age, sex or activity filter, since the difference
-- of two filtered results could uncover a hidden count.
-- Counts from the summary consultations_daily (terrain/summaries.sql), not the consultations rows.
-- params: start, end, cities
-- level: city
-- grain: none
-- published: consultations by unaccompanied_minor
-- counts: consultations
-- lines: city; unaccompanied_minor
SELECT c.city, c.unaccompanied_minor::VARCHAR AS unaccompanied_minor, sum(c.consultations)::BIGINT AS consultations
FROM consultations_in('consultations_daily', $start, $end, $cities) AS c
GROUP BY c.city, c.unaccompanied_minor
ORDER BY c.city, c.unaccompanied_minor
