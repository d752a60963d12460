-- name: consultations_by_coverage
-- Consultations in a period by health coverage (none, AME, PUMa/CSS, unknown), with every
-- filter of the Consultations page.
-- Counts from the summary consultations_daily_coverage (terrain/summaries.sql), not the consultations rows.
-- params: start, end, cities, sites, activities, age_bands, sexes, minors_only, girls_only
-- level: site
-- grain: none
-- counts: consultations
-- lines: *
SELECT c.health_coverage::VARCHAR AS health_coverage, sum(c.consultations)::BIGINT AS consultations
FROM consultations_filtered('consultations_daily_coverage', $start, $end, $cities,
                            $sites, $activities, $age_bands, $sexes, $minors_only, $girls_only) AS c
GROUP BY c.health_coverage
ORDER BY c.health_coverage
