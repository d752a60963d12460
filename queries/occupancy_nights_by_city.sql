-- name: occupancy_nights_by_city
-- One row per city and night, all its shelters together: beds available and occupied,
-- occupancy rate, people turned away (minors and girls among them), and whether an
-- emergency shelter of the city was open that night. For short periods only.
-- params: start, end, cities
-- level: city
-- grain: day
-- counts: beds_occupied, turned_away, turned_away_minors, turned_away_girls
-- lines: city, week; city, month; city
-- rates: occupancy_rate = beds_occupied / beds_available
SELECT
    city, night, date_trunc('week', night)::DATE AS week, date_trunc('month', night)::DATE AS month,
    beds_available, beds_occupied, beds_occupied / nullif(beds_available, 0) AS occupancy_rate,
    turned_away, turned_away_minors, turned_away_girls, emergency_shelter_open
FROM city_shelter_nights($start, $end, $cities)
ORDER BY city, night
