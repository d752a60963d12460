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
    without_coverage / nullif(with_known_coverage, 0) AS share_without_coverage
FROM consultations_filtered('consultations_daily_coverage', $start, $end, $cities,
                            $sites, $activities, $age_bands, $sexes, $minors_only, $girls_only) AS c
GROUP BY period
ORDER BY period
