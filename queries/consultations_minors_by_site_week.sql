-- name: consultations_minors_by_site_week
-- Evidence of the minors surge alert (terrain/alerts.py, thresholds in config/alerts.toml):
-- per site and week (weeks start on Monday), the consultations of unaccompanied minors and
-- all the site's consultations. Only weeks with at least one consultation at the site are
-- listed: a week with no row was not observed (site closed, no data), which is not a week
-- with no minors, so a site that opens is not compared with the year before it existed.
-- Counts from the summary consultations_daily (terrain/summaries.sql), not the consultations rows.
-- params: start, end, cities
-- level: site
-- grain: week
-- counts: minors_consultations, consultations
SELECT
    d.*,
    date_trunc('week', c.consulted_on)::DATE AS week,
    coalesce(sum(c.consultations) FILTER (WHERE is_unaccompanied_minor(c.unaccompanied_minor)), 0)::BIGINT AS minors_consultations,
    sum(c.consultations)::BIGINT AS consultations
FROM consultations_in('consultations_daily', $start, $end, $cities) AS c
JOIN site_details() AS d USING (site_id)
GROUP BY ALL
ORDER BY d.city, d.site_id, week
