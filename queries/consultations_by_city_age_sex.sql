-- name: consultations_by_city_age_sex
-- Consultations in a period per city, age band and sex.
-- City level, the donors' view: no site, age, sex or activity filter, since the difference
-- of two filtered results could uncover a hidden count.
-- Counts from the summary consultations_daily (terrain/summaries.sql), not the consultations rows.
-- params: start, end, cities
-- level: city
-- grain: none
-- published: consultations by age_sex
-- counts: consultations
-- lines: city, age_band; city, sex; city
SELECT c.city, c.age_band::VARCHAR AS age_band, c.sex::VARCHAR AS sex, sum(c.consultations)::BIGINT AS consultations
FROM consultations_in('consultations_daily', $start, $end, $cities) AS c
GROUP BY c.city, c.age_band, c.sex
ORDER BY c.city, c.age_band, c.sex
