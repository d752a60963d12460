-- name: consultations_by_site_activity
-- Consultations in a period per site and activity, with every filter of the Consultations page.
-- Counts from the summary consultations_daily (terrain/summaries.sql), not the consultations rows.
-- params: start, end, cities, sites, activities, age_bands, sexes, minors_only, girls_only
-- level: site
-- grain: none
-- counts: consultations
-- lines: site_id; activity; *
SELECT c.city, c.site_id, c.site_name, c.site_type::VARCHAR AS site_type, c.activity::VARCHAR AS activity,
       sum(c.consultations)::BIGINT AS consultations
FROM consultations_filtered('consultations_daily', $start, $end, $cities,
                            $sites, $activities, $age_bands, $sexes, $minors_only, $girls_only) AS c
GROUP BY c.city, c.site_id, c.site_name, c.site_type, c.activity
ORDER BY c.city, c.site_name, c.activity
