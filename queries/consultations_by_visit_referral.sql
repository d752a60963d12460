-- name: consultations_by_visit_referral
-- Consultations in a period by visit (new or follow-up) and referral (yes or no), with
-- every filter of the Consultations page.
-- Counts from the summary consultations_daily_visit (terrain/summaries.sql), not the consultations rows.
-- params: start, end, cities, sites, activities, age_bands, sexes, minors_only, girls_only
-- level: site
-- grain: none
-- counts: consultations
-- lines: visit; referred; *
SELECT c.visit::VARCHAR AS visit, CASE WHEN c.referred THEN 'yes' ELSE 'no' END AS referred,
       sum(c.consultations)::BIGINT AS consultations
FROM consultations_filtered('consultations_daily_visit', $start, $end, $cities,
                            $sites, $activities, $age_bands, $sexes, $minors_only, $girls_only) AS c
GROUP BY c.visit, c.referred
ORDER BY c.visit, c.referred DESC
