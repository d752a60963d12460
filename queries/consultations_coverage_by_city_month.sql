-- name: consultations_coverage_by_city_month
-- Evidence of the access to care alert (terrain/alerts.py, thresholds in config/alerts.toml):
-- per city and month, the consultations, those whose health coverage is known (none, AME or
-- PUMa/CSS: the share's denominator, an unknown coverage being neither) and those of people
-- with no health coverage at all (neither AME nor PUMa/CSS), watched since the immigration
-- law of December 2023 restricted access to healthcare. Months with no consultation in the
-- city have no row (not observed).
-- Counts from the summary consultations_daily_coverage (terrain/summaries.sql), not the consultations rows.
-- params: start, end, cities
-- level: city
-- grain: month
-- counts: consultations, with_known_coverage, without_coverage
SELECT
    c.city,
    date_trunc('month', c.consulted_on)::DATE AS month,
    sum(c.consultations)::BIGINT AS consultations,
    coalesce(sum(c.consultations) FILTER (WHERE c.health_coverage <> 'unknown'), 0)::BIGINT AS with_known_coverage,
    coalesce(sum(c.consultations) FILTER (WHERE c.health_coverage = 'none'), 0)::BIGINT AS without_coverage
FROM consultations_in('consultations_daily_coverage', $start, $end, $cities) AS c
GROUP BY ALL
ORDER BY c.city, month
