-- name: consultations_by_period_city_activity
-- Consultations per period (week or month), city and activity.
-- City level, the donors' view: no site, age, sex or activity filter, since the difference
-- of two filtered results could uncover a hidden count.
-- Counts from the summary consultations_daily (terrain/summaries.sql), not the consultations rows.
-- Only donors read it (programme staff get consultations_by_period_activity, per site), month
-- by month: its lines are those of consultations_by_city_activity within each month (city;
-- activity), so that a donor's month hides the same cells on the Consultations page as on the
-- Overview. A line over the periods would not survive the monthly runs (queries.py).
-- params: start, end, grain, cities
-- level: city
-- grain: $grain
-- published: consultations by activity
-- counts: consultations
-- lines: period, city; period, activity
SELECT date_trunc($grain, c.consulted_on)::DATE AS period, c.city, c.activity::VARCHAR AS activity,
       sum(c.consultations)::BIGINT AS consultations
FROM consultations_in('consultations_daily', $start, $end, $cities) AS c
GROUP BY period, c.city, c.activity
ORDER BY period, c.city, c.activity
