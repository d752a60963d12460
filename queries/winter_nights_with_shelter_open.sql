-- name: winter_nights_with_shelter_open
-- Evidence of the winter gap alert (terrain/alerts.py, thresholds in config/alerts.toml):
-- each night of the winter season (1 November – 31 March) in each city where the programme
-- runs an emergency shelter that night (opened by then, not closed for good), with the
-- minimum temperature, the cold vigilance colour, whether it was a cold night
-- (terrain/definitions.sql), and whether an emergency shelter of the city was open that night (a shelter row with beds). A cold night with none open is a gap:
-- the shelter existed but was not open when it was needed. Nights before the programme had
-- one are not gaps of the programme (Calais's shelter opened on 22 January 2024).
-- params: start, end, cities
-- level: city
-- grain: day
SELECT
    city, night AS day, season_first_day(season) AS season_start, tmin_c, vigilance::VARCHAR AS vigilance, cold_night,
    coalesce(emergency_beds, 0)::BIGINT AS emergency_beds, emergency_shelter_open AS shelter_open
FROM winter_city_nights($start, $end, $cities)
WHERE has_temperature AND emergency_shelter_this_season
ORDER BY city, day
