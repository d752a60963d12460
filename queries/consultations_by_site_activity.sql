-- name: consultations_by_site_activity
-- Consultations in a period per site and activity, with every filter of the Consultations page.
-- Counts from the summary consultations_daily (terrain/summaries.sql), not the consultations rows.
-- params: start, end, cities, sites, activities, age_bands, sexes, minors_only, girls_only
-- level: site
-- grain: none
-- counts: consultations
-- lines: site_id; activity; *
SELECT
    s.city,
    s.site_id,
    s.name AS site_name,
    s.site_type::VARCHAR AS site_type,
    c.activity::VARCHAR AS activity,
    sum(c.consultations)::BIGINT AS consultations
FROM consultations_daily AS c
JOIN sites AS s USING (site_id)
WHERE c.consulted_on BETWEEN $start AND $end
  AND (len($cities) = 0 OR s.city IN $cities)
  AND (len($sites) = 0 OR c.site_id IN $sites)
  AND (len($activities) = 0 OR c.activity::VARCHAR IN $activities)
  AND (len($age_bands) = 0 OR c.age_band::VARCHAR IN $age_bands)
  AND (len($sexes) = 0 OR c.sex::VARCHAR IN $sexes)
  -- Minors: under 18, or recorded as an unaccompanied minor (whose age may be contested).
  AND (NOT $minors_only OR is_minor(c.age_band, c.unaccompanied_minor))
  AND (NOT $girls_only OR is_girl(c.sex, c.age_band, c.unaccompanied_minor))
GROUP BY s.city, s.site_id, s.name, s.site_type, c.activity
ORDER BY s.city, s.name, c.activity
