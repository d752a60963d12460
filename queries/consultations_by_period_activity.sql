-- name: consultations_by_period_activity
-- Consultations per period (week or month) and activity, with every filter of the
-- Consultations page (site, age band, sex, minors, girls): programme staff only.
-- Counts from the summary consultations_daily (terrain/summaries.sql), not the consultations rows.
-- params: start, end, grain, cities, sites, activities, age_bands, sexes, minors_only, girls_only
-- level: site
-- grain: $grain
-- counts: consultations
-- lines: period; activity; *
SELECT
    date_trunc($grain, c.consulted_on)::DATE AS period,
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
GROUP BY period, c.activity
ORDER BY period, c.activity
