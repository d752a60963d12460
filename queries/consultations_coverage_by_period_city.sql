-- name: consultations_coverage_by_period_city
-- Per period (week or month) and city: consultations, those of people with no health
-- coverage, and their share (watched since the immigration law of December 2023).
-- City level, the donors' view: no site, age, sex or activity filter, since the difference
-- of two filtered results could uncover a hidden count.
-- Counts from the summary consultations_daily_coverage (terrain/summaries.sql), not the consultations rows.
-- params: start, end, grain, cities
-- level: city
-- grain: $grain
-- published: consultations, consultations[health_coverage=none] as without_coverage
-- counts: consultations, without_coverage
-- lines: city
-- rates: share_without_coverage = without_coverage / consultations
SELECT
    date_trunc($grain, c.consulted_on)::DATE AS period,
    s.city,
    sum(c.consultations)::BIGINT AS consultations,
    coalesce(sum(c.consultations) FILTER (WHERE c.health_coverage = 'none'), 0)::BIGINT AS without_coverage,
    coalesce(sum(c.consultations) FILTER (WHERE c.health_coverage = 'none'), 0)::BIGINT / sum(c.consultations)::BIGINT AS share_without_coverage
FROM consultations_daily_coverage AS c
JOIN sites AS s USING (site_id)
WHERE c.consulted_on BETWEEN $start AND $end
  AND (len($cities) = 0 OR s.city IN $cities)
GROUP BY period, s.city
ORDER BY period, s.city
