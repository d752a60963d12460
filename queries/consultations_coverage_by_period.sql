-- name: consultations_coverage_by_period
-- Per period (week or month): consultations whose health coverage is known (none, AME or
-- PUMa/CSS), those of people with no health coverage, their share, and the consultations
-- whose coverage is unknown, with every filter of the Consultations page. The share is of the
-- consultations with a known coverage: an unknown coverage is neither "none" nor a cover, so
-- it is left out of the denominator and counted beside it. The share is watched since the
-- immigration law of December 2023 restricted access to healthcare. No total column: the
-- total is the known plus the unknown, and three columns tied by a sum would give a hidden
-- one back (the door suppresses each count column alone).
-- Counts from the summary consultations_daily_coverage (terrain/summaries.sql), not the consultations rows.
-- params: start, end, grain, cities, sites, activities, age_bands, sexes, minors_only, girls_only
-- level: site
-- grain: $grain
-- counts: with_known_coverage, unknown_coverage, without_coverage
-- lines: *
-- rates: share_without_coverage = without_coverage / with_known_coverage
SELECT
    date_trunc($grain, c.consulted_on)::DATE AS period,
    coalesce(sum(c.consultations) FILTER (WHERE c.health_coverage <> 'unknown'), 0)::BIGINT AS with_known_coverage,
    coalesce(sum(c.consultations) FILTER (WHERE c.health_coverage = 'unknown'), 0)::BIGINT AS unknown_coverage,
    coalesce(sum(c.consultations) FILTER (WHERE c.health_coverage = 'none'), 0)::BIGINT AS without_coverage,
    coalesce(sum(c.consultations) FILTER (WHERE c.health_coverage = 'none'), 0)::BIGINT
        / nullif(sum(c.consultations) FILTER (WHERE c.health_coverage <> 'unknown'), 0)::BIGINT AS share_without_coverage
FROM consultations_daily_coverage AS c
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
GROUP BY period
ORDER BY period
