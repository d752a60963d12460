-- name: outbreak_cases_by_site_week
-- Evidence of the outbreak signal alert (terrain/alerts.py, thresholds in
-- config/alerts.toml): per site, week (from Monday) and epidemic-prone diagnosis group
-- (scabies, suspected measles, acute diarrhoea), the cases seen. Every week with at least
-- one consultation at the site has a row per group, zero when there was no case; a week
-- with no row was not observed and does not count in the baseline.
-- Counts from the summary site_diagnoses_daily (terrain/summaries.sql), not the consultations rows.
-- params: start, end, cities
-- level: site
-- grain: week
-- counts: cases, consultations
WITH weeks AS (
    SELECT c.site_id, date_trunc('week', c.consulted_on)::DATE AS week, sum(c.consultations)::BIGINT AS consultations
    FROM consultations_in('site_diagnoses_daily', $start, $end, $cities) AS c
    GROUP BY ALL
),
cases AS (
    SELECT c.site_id, date_trunc('week', c.consulted_on)::DATE AS week,
           c.diagnosis_group::VARCHAR AS diagnosis_group, sum(c.consultations)::BIGINT AS cases
    FROM site_diagnoses_daily AS c
    WHERE c.consulted_on BETWEEN $start AND $end
      AND c.diagnosis_group IN ('skin_infection_scabies', 'suspected_measles', 'acute_diarrhoea')
    GROUP BY ALL
)
SELECT d.*, w.week, g.diagnosis_group, coalesce(k.cases, 0) AS cases, w.consultations
FROM weeks AS w
JOIN site_details() AS d USING (site_id)
CROSS JOIN (VALUES ('skin_infection_scabies'), ('suspected_measles'), ('acute_diarrhoea')) AS g(diagnosis_group)
LEFT JOIN cases AS k ON k.site_id = w.site_id AND k.week = w.week AND k.diagnosis_group = g.diagnosis_group
ORDER BY d.city, d.site_id, g.diagnosis_group, w.week
