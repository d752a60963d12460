-- name: consultations_by_diagnosis
-- Consultations in a period per diagnosis group, most frequent first, with every filter of
-- the Consultations page.
-- Counts from the summary consultations_daily_diagnosis (terrain/summaries.sql), not the consultations rows.
-- params: start, end, cities, sites, activities, age_bands, sexes, minors_only, girls_only
-- level: site
-- grain: none
-- counts: consultations
-- lines: *
SELECT
    c.diagnosis_group::VARCHAR AS diagnosis_group,
    sum(c.consultations)::BIGINT AS consultations
FROM consultations_daily_diagnosis AS c
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
GROUP BY c.diagnosis_group
ORDER BY consultations DESC, c.diagnosis_group
