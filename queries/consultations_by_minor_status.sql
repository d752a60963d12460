-- name: consultations_by_minor_status
-- Consultations in a period by unaccompanied-minor status (yes, no, unknown), with every
-- filter of the Consultations page.
-- Counts from the summary consultations_daily (terrain/summaries.sql), not the consultations rows.
-- params: start, end, cities, sites, activities, age_bands, sexes, minors_only, girls_only
-- level: site
-- grain: none
-- counts: consultations
-- lines: *
SELECT c.unaccompanied_minor::VARCHAR AS unaccompanied_minor, sum(c.consultations)::BIGINT AS consultations
FROM consultations_filtered('consultations_daily', $start, $end, $cities,
                            $sites, $activities, $age_bands, $sexes, $minors_only, $girls_only) AS c
GROUP BY c.unaccompanied_minor
ORDER BY c.unaccompanied_minor
