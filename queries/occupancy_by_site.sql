-- name: occupancy_by_site
-- Shelter use per shelter and week or month: nights open, bed-nights available and
-- occupied, occupancy rate (bed-nights occupied / available, i.e. the mean of the nightly
-- rates weighted by beds), nights at or over capacity, people turned away (minors and girls
-- among them).
-- params: start, end, grain, cities, sites
-- level: site
-- grain: $grain
-- counts: bed_nights_occupied, turned_away, turned_away_minors, turned_away_girls
-- lines: site_id; city, period; city
-- rates: occupancy_rate = bed_nights_occupied / bed_nights_available
SELECT * EXCLUDE (bed_capacity, emergency_nights_open)
FROM occupancy($start, $end, $cities, $sites, $grain, true)
ORDER BY city, site_name, period
