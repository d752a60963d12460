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
SELECT * REPLACE (a.site_type::VARCHAR AS site_type)
FROM site_activity($start, $end, true) AS a
ORDER BY a.period, a.city, a.site_type, a.site_id
