-- name: consultations_by_diagnosis
-- Consultations in a period per diagnosis group, most frequent first, with every filter of
-- the Consultations page.
-- Counts from the summary consultations_daily_diagnosis (terrain/summaries.sql), not the consultations rows.
-- params: start, end, cities, sites, activities, age_bands, sexes, minors_only, girls_only
-- level: site
-- grain: none
-- counts: consultations
-- lines: *
SELECT c.diagnosis_group::VARCHAR AS diagnosis_group, sum(c.consultations)::BIGINT AS consultations
FROM consultations_filtered('consultations_daily_diagnosis', $start, $end, $cities,
                            $sites, $activities, $age_bands, $sexes, $minors_only, $girls_only) AS c
GROUP BY c.diagnosis_group
ORDER BY consultations DESC, c.diagnosis_group
