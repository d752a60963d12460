-- name: consultations_by_age_sex
-- Consultations in a period per age band and sex, with every filter of the Consultations page.
-- Counts from the summary consultations_daily (terrain/summaries.sql), not the consultations rows.
-- params: start, end, cities, sites, activities, age_bands, sexes, minors_only, girls_only
-- level: site
-- grain: none
-- counts: consultations
-- lines: age_band; sex; *
SELECT c.age_band::VARCHAR AS age_band, c.sex::VARCHAR AS sex, sum(c.consultations)::BIGINT AS consultations
FROM consultations_filtered('consultations_daily', $start, $end, $cities,
                            $sites, $activities, $age_bands, $sexes, $minors_only, $girls_only) AS c
GROUP BY c.age_band, c.sex
ORDER BY c.age_band, c.sex
