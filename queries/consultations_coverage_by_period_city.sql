-- name: consultations_coverage_by_period_city
-- Per period (week or month) and city: consultations whose health coverage is known (none,
-- AME or PUMa/CSS), those of people with no health coverage, their share, and the
-- consultations whose coverage is unknown (watched since the immigration law of December
-- 2023). The share is of the consultations with a known coverage; the unknown ones are left
-- out of it and counted beside it (see consultations_coverage_by_period).
-- City level, the donors' view: no site, age, sex or activity filter, since the difference
-- of two filtered results could uncover a hidden count.
-- Counts from the summary consultations_daily_coverage (terrain/summaries.sql), not the consultations rows.
-- params: start, end, grain, cities
-- level: city
-- grain: $grain
-- published: consultations[health_coverage=none+AME+PUMa_CSS] as with_known_coverage, consultations[health_coverage=unknown] as unknown_coverage, consultations[health_coverage=none] as without_coverage
-- counts: with_known_coverage, unknown_coverage, without_coverage
-- lines: city
-- rates: share_without_coverage = without_coverage / with_known_coverage
SELECT
    date_trunc($grain, c.consulted_on)::DATE AS period, c.city,
    coalesce(sum(c.consultations) FILTER (WHERE c.health_coverage <> 'unknown'), 0)::BIGINT AS with_known_coverage,
    coalesce(sum(c.consultations) FILTER (WHERE c.health_coverage = 'unknown'), 0)::BIGINT AS unknown_coverage,
    coalesce(sum(c.consultations) FILTER (WHERE c.health_coverage = 'none'), 0)::BIGINT AS without_coverage,
    without_coverage / nullif(with_known_coverage, 0) AS share_without_coverage
FROM consultations_in('consultations_daily_coverage', $start, $end, $cities) AS c
GROUP BY period, c.city
ORDER BY period, c.city
