-- name: map_sites_activity_by_month
-- map_sites_activity month by month: for each month of the period (`period`, its first day),
-- every site open at some point of that month with its activity in that month, as
-- map_sites_activity gives them for that month alone. The door runs it in place of
-- map_sites_activity for roles that see months only: one scan instead of one per month
-- (tests/test_map.py checks that each month's rows are map_sites_activity's for that month).
-- Counts from the summary site_diagnoses_daily (terrain/summaries.sql), not the consultations rows.
-- params: start, end
-- level: site
-- grain: month
-- counts: consultations, people_reached, bed_nights_occupied, turned_away
-- lines: period
-- rates: occupancy_rate = bed_nights_occupied / bed_nights_available
-- locations: exact
WITH months AS (
    SELECT CAST(t.first_day AS DATE) AS period,
           CAST(t.first_day + INTERVAL 1 MONTH - INTERVAL 1 DAY AS DATE) AS last_day
    FROM generate_series(date_trunc('month', $start::DATE), $end::DATE, INTERVAL 1 MONTH) AS t(first_day)
),
consulted AS (
    SELECT c.site_id, date_trunc('month', c.consulted_on)::DATE AS period,
           sum(c.consultations)::BIGINT AS consultations
    FROM site_diagnoses_daily AS c
    WHERE c.consulted_on BETWEEN $start AND $end
    GROUP BY ALL
),
reached AS (
    SELECT o.team_id AS site_id, date_trunc('month', o.visited_on)::DATE AS period,
           sum(o.people_reached)::BIGINT AS people_reached
    FROM outreach AS o
    WHERE o.visited_on BETWEEN $start AND $end
    GROUP BY ALL
),
sheltered AS (
    SELECT
        n.site_id,
        date_trunc('month', n.night)::DATE AS period,
        sum(n.beds_occupied)::BIGINT AS bed_nights_occupied,
        sum(n.beds_available)::BIGINT AS bed_nights_available,
        sum(n.turned_away)::BIGINT AS turned_away
    FROM shelter_nights AS n
    WHERE n.night BETWEEN $start AND $end
    GROUP BY ALL
)
SELECT
    m.period,
    s.site_id,
    s.name,
    s.city,
    s.commune_code,
    s.departement,
    s.site_type::VARCHAR AS site_type,
    s.bed_capacity,
    s.population_focus::VARCHAR AS population_focus,
    s.latitude,
    s.longitude,
    coalesce(c.consultations, 0) AS consultations,
    coalesce(r.people_reached, 0) AS people_reached,
    coalesce(n.bed_nights_occupied, 0) AS bed_nights_occupied,
    coalesce(n.bed_nights_available, 0) AS bed_nights_available,
    coalesce(n.turned_away, 0) AS turned_away,
    n.bed_nights_occupied / nullif(n.bed_nights_available, 0) AS occupancy_rate
FROM months AS m
JOIN sites AS s ON s.opened <= m.last_day AND (s.closed IS NULL OR s.closed >= m.period)
LEFT JOIN consulted AS c ON c.site_id = s.site_id AND c.period = m.period
LEFT JOIN reached AS r ON r.site_id = s.site_id AND r.period = m.period
LEFT JOIN sheltered AS n ON n.site_id = s.site_id AND n.period = m.period
ORDER BY m.period, s.city, s.site_type, s.site_id
