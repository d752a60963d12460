-- name: consultations_by_city_diagnosis
-- Consultations in a period per city and diagnosis group, most frequent first.
-- City level, the donors' view: no site, age, sex or activity filter, since the difference
-- of two filtered results could uncover a hidden count.
-- Counts from the summary site_diagnoses_daily (terrain/summaries.sql), not the consultations rows.
-- params: start, end, cities
-- level: city
-- grain: none
-- published: consultations by diagnosis_group
-- counts: consultations
-- lines: city; diagnosis_group
SELECT c.city, c.diagnosis_group::VARCHAR AS diagnosis_group, sum(c.consultations)::BIGINT AS consultations
FROM consultations_in('site_diagnoses_daily', $start, $end, $cities) AS c
GROUP BY c.city, c.diagnosis_group
ORDER BY c.city, consultations DESC, c.diagnosis_group
