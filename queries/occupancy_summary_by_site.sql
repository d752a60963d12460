-- name: occupancy_summary_by_site
-- Shelter use per shelter over the whole period: the headline figures of each shelter.
-- params: start, end, cities, sites
-- level: site
-- grain: none
-- counts: bed_nights_occupied, turned_away, turned_away_minors, turned_away_girls
-- lines: city
-- rates: occupancy_rate = bed_nights_occupied / bed_nights_available
SELECT * EXCLUDE (period, emergency_nights_open)
FROM occupancy($start, $end, $cities, $sites, NULL, true)
ORDER BY city, site_name
