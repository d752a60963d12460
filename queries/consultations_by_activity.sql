-- name: consultations_by_activity
-- Consultations in a period per activity, with every filter of the Consultations page (the
-- headline figures, and the year-on-year comparison when run a year earlier).
-- Counts from the summary consultations_daily (terrain/summaries.sql), not the consultations rows.
-- params: start, end, cities, sites, activities, age_bands, sexes, minors_only, girls_only
-- level: site
-- grain: none
-- counts: consultations
-- lines: *
SELECT c.activity::VARCHAR AS activity, sum(c.consultations)::BIGINT AS consultations
FROM consultations_filtered('consultations_daily', $start, $end, $cities,
                            $sites, $activities, $age_bands, $sexes, $minors_only, $girls_only) AS c
GROUP BY c.activity
ORDER BY c.activity
