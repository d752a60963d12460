-- name: map_sites_activity
-- The map's sites, each with its activity in the period: consultations; for mobile teams the
-- people reached; for shelters the bed-nights occupied and available and the people turned
-- away. Every site open at some point of the period is listed, with zeros where nothing was
-- recorded, so that the map shows a quiet site as quiet rather than leaving it out.
-- Exact coordinates: the door coarsens these rows to communes or départements for every
-- role that may not see exact locations (terrain/disclosure/), then suppresses small
-- counts. The whole map's total is declared published (other pages show the programme's
-- totals), so a hidden area always has a hidden partner.
-- Counts from the summary site_diagnoses_daily (terrain/summaries.sql), not the consultations rows.
-- params: start, end
-- level: site
-- grain: none
-- published: consultations, people_reached, bed_nights_occupied, bed_nights_available, turned_away
-- counts: consultations, people_reached, bed_nights_occupied, turned_away
-- lines: *
-- rates: occupancy_rate = bed_nights_occupied / bed_nights_available
-- locations: exact
-- combine: bed_nights_available = sum
-- monthly: map_sites_activity_by_month
SELECT * EXCLUDE (period) REPLACE (a.site_type::VARCHAR AS site_type)
FROM site_activity($start, $end, false) AS a
ORDER BY a.city, a.site_type, a.site_id
