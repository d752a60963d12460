-- name: occupancy_summary_by_city
-- Shelter use per city over the whole period, all the city's shelters together: the
-- headline figures of each city (same definitions as occupancy_by_city).
-- params: start, end, cities
-- level: city
-- grain: none
-- published: nights_open, bed_nights_available, bed_nights_occupied, nights_full, turned_away, turned_away_minors, turned_away_girls, emergency_nights_open
-- counts: bed_nights_occupied, turned_away, turned_away_minors, turned_away_girls
-- rates: occupancy_rate = bed_nights_occupied / bed_nights_available
-- combine: nights_open = sum, bed_nights_available = sum, nights_full = sum, emergency_nights_open = sum
SELECT * EXCLUDE (site_id, site_name, site_type, bed_capacity, period)
FROM occupancy($start, $end, $cities, [], NULL, false)
ORDER BY city
