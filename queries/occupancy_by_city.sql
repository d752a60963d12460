-- name: occupancy_by_city
-- Shelter use per city and week or month, all the city's shelters together: nights with a
-- bed open, bed-nights available and occupied, occupancy rate, nights on which the city's
-- shelters were full together (occupied >= available), people turned away (minors and
-- girls among them), nights an emergency shelter of the city was open.
-- params: start, end, grain, cities
-- level: city
-- grain: $grain
-- published: nights_open, bed_nights_available, bed_nights_occupied, nights_full, turned_away, turned_away_minors, turned_away_girls, emergency_nights_open
-- counts: bed_nights_occupied, turned_away, turned_away_minors, turned_away_girls
-- lines: city
-- rates: occupancy_rate = bed_nights_occupied / bed_nights_available
SELECT * EXCLUDE (site_id, site_name, site_type, bed_capacity)
FROM occupancy($start, $end, $cities, [], $grain, false)
ORDER BY city, period
