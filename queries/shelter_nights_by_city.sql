-- name: shelter_nights_by_city
-- Shelter use in a period, per city: bed-nights occupied and available, nights at capacity
-- (nights when all the city's beds were taken together, as occupancy_summary_by_city and the
-- published set count them: a city's night, not one per shelter), refusals for lack of a
-- place (people turned away, counted night by night; minors and girls among them).
-- No line: no query publishes a true total over cities; the Overview adds up the visible
-- cells. Its cells are those of occupancy_summary_by_city, hidden alike, so the Overview and
-- Occupancy pages give a role the same totals.
-- params: start, end, cities
-- level: city
-- grain: none
-- published: bed_nights_occupied, bed_nights_available, nights_full as nights_at_capacity, turned_away, turned_away_minors, turned_away_girls
-- counts: bed_nights_occupied, turned_away, turned_away_minors, turned_away_girls
-- rates: occupancy_rate = bed_nights_occupied / bed_nights_available
-- combine: bed_nights_available = sum, nights_at_capacity = sum
SELECT city, bed_nights_occupied, bed_nights_available, occupancy_rate, nights_full AS nights_at_capacity,
       turned_away, turned_away_minors, turned_away_girls
FROM occupancy($start, $end, $cities, [], NULL, false)
ORDER BY city
