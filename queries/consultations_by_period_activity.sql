-- name: consultations_by_period_activity
-- Consultations per period (week or month) and activity, with every filter of the
-- Consultations page (site, age band, sex, minors, girls): programme staff only.
-- Counts from the summary consultations_daily (terrain/summaries.sql), not the consultations rows.
-- params: start, end, grain, cities, sites, activities, age_bands, sexes, minors_only, girls_only
-- level: site
-- grain: $grain
-- counts: consultations
-- lines: period; activity; *
SELECT date_trunc($grain, c.consulted_on)::DATE AS period, c.activity::VARCHAR AS activity,
       sum(c.consultations)::BIGINT AS consultations
FROM consultations_filtered('consultations_daily', $start, $end, $cities,
                            $sites, $activities, $age_bands, $sexes, $minors_only, $girls_only) AS c
GROUP BY period, c.activity
ORDER BY period, c.activity
