-- name: shelter_nights_by_site_day
-- Evidence of the shelter saturation alert (terrain/alerts.py, thresholds in
-- config/alerts.toml): every night of every shelter in service, with the beds available
-- and occupied, the people turned away and the city's minimum temperature. A night with no
-- shelter row has NULL beds available (the shelter was closed, which is not a saturated
-- night) and counts of 0: nobody was counted there.
-- params: start, end, cities
-- level: site
-- grain: day
-- counts: beds_occupied, turned_away, turned_away_minors, turned_away_girls
-- rates: occupancy_rate = beds_occupied / beds_available
SELECT
    city, site_id, site_name, site_type, bed_capacity, population_focus, day,
    beds_available, beds_occupied, beds_occupied / nullif(beds_available, 0) AS occupancy_rate,
    turned_away, turned_away_minors, turned_away_girls, tmin_c
FROM shelter_nights_in_service($start, $end, $cities)
ORDER BY city, site_id, day
