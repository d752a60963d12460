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
WITH consulted AS (
    SELECT c.site_id, sum(c.consultations)::BIGINT AS consultations
    FROM site_diagnoses_daily AS c
    WHERE c.consulted_on BETWEEN $start AND $end
    GROUP BY c.site_id
),
reached AS (
    SELECT o.team_id AS site_id, sum(o.people_reached)::BIGINT AS people_reached
    FROM outreach AS o
    WHERE o.visited_on BETWEEN $start AND $end
    GROUP BY o.team_id
),
sheltered AS (
    SELECT
        n.site_id,
        sum(n.beds_occupied)::BIGINT AS bed_nights_occupied,
        sum(n.beds_available)::BIGINT AS bed_nights_available,
        sum(n.turned_away)::BIGINT AS turned_away
    FROM shelter_nights AS n
    WHERE n.night BETWEEN $start AND $end
    GROUP BY n.site_id
)
SELECT
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
FROM sites AS s
LEFT JOIN consulted AS c USING (site_id)
LEFT JOIN reached AS r USING (site_id)
LEFT JOIN sheltered AS n USING (site_id)
WHERE s.opened <= $end
  AND (s.closed IS NULL OR s.closed >= $start)
ORDER BY s.city, s.site_type, s.site_id
