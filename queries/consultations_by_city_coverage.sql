-- name: consultations_by_city_coverage
-- Consultations in a period per city and health coverage (none, AME, PUMa/CSS, unknown).
-- City level, the donors' view: no site, age, sex or activity filter, since the difference
-- of two filtered results could uncover a hidden count.
-- Counts from the summary consultations_daily_coverage (terrain/summaries.sql), not the consultations rows.
-- params: start, end, cities
-- level: city
-- grain: none
-- published: consultations by health_coverage
-- counts: consultations
-- lines: city; health_coverage
SELECT c.city, c.health_coverage::VARCHAR AS health_coverage, sum(c.consultations)::BIGINT AS consultations
FROM consultations_in('consultations_daily_coverage', $start, $end, $cities) AS c
GROUP BY c.city, c.health_coverage
ORDER BY c.city, c.health_coverage
