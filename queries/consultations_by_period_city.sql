-- name: consultations_by_period_city
-- Consultations per period (week or month) and city, for the Overview's trend chart.
-- Counts from the summary site_diagnoses_daily (terrain/summaries.sql), not the consultations rows.
-- params: start, end, grain, cities
-- level: city
-- grain: $grain
-- published: consultations
-- counts: consultations
-- lines: period; city
SELECT date_trunc($grain, c.consulted_on)::DATE AS period, c.city, sum(c.consultations)::BIGINT AS consultations
FROM consultations_in('site_diagnoses_daily', $start, $end, $cities) AS c
GROUP BY ALL
ORDER BY period, c.city
