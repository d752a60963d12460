-- name: consultations_by_period_city
-- Consultations per period (week or month) and city, for the Overview's trend chart.
-- Counts from the summary site_diagnoses_daily (terrain/summaries.sql), not the consultations rows.
-- params: start, end, grain, cities
-- level: city
-- grain: $grain
-- published: consultations
-- counts: consultations
-- lines: period; city
SELECT
    date_trunc($grain, c.consulted_on)::DATE AS period,
    s.city,
    sum(c.consultations)::BIGINT AS consultations
FROM site_diagnoses_daily AS c
JOIN sites AS s USING (site_id)
WHERE c.consulted_on BETWEEN $start AND $end
  AND (len($cities) = 0 OR s.city IN $cities)
GROUP BY ALL
ORDER BY period, s.city
