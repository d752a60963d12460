-- name: shelter_nights_with_weather
-- Evidence of the cold exclusion alert (terrain/alerts.py, thresholds in config/alerts.toml):
-- every night of every shelter in service, with the city's minimum temperature, cold
-- vigilance colour and whether it was a cold night (terrain/definitions.sql), the beds available and occupied and the people turned away for lack of
-- a place (minors and girls among them). A night with no shelter row has NULL beds available
-- and counts of 0: the shelter was closed (the winter gap alert watches those nights).
-- params: start, end, cities
-- level: site
-- grain: day
-- counts: beds_occupied, turned_away, turned_away_minors, turned_away_girls
SELECT
    city, site_id, site_name, site_type, bed_capacity, population_focus, day,
    tmin_c, vigilance::VARCHAR AS vigilance, cold_night(tmin_c, vigilance) AS cold_night,
    beds_available, beds_occupied, turned_away, turned_away_minors, turned_away_girls
FROM shelter_nights_in_service($start, $end, $cities)
ORDER BY city, site_id, day
