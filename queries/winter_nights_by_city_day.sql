-- name: winter_nights_by_city_day
-- Each night of a period per city, for the winter calendar and the demand chart: minimum and
-- maximum temperature, whether it was a cold night (minimum at or below 0 °C), vigilance
-- colour, the most severe winter-plan level declared for the city or its département,
-- whether the programme ran an emergency shelter in the city that season (as the winter gap
-- alert counts them) and whether one was open, shelters full (occupied at or over the beds
-- available), people sheltered and turned away. On a night with no shelter row in the
-- city, has_shelter_data is false and the counts 0: read them as unknown, not as nobody.
-- Cities with no temperature and no shelter night in the period are left out. The Winter
-- page publishes each city's people turned away on cold nights per month
-- (winter_people_by_city_month), and per season as the sum of its months: hence the line
-- (city, month, cold_night), so that these totals cannot give back a night's hidden count.
-- params: start, end, cities
-- level: city
-- grain: day
-- counts: sheltered, turned_away
-- lines: city, month, cold_night
SELECT
    city, night, date_trunc('month', night)::DATE AS month, tmin_c, tmax_c, cold_night,
    vigilance::VARCHAR AS vigilance, plan_level::VARCHAR AS plan_level,
    emergency_shelter_this_season, emergency_shelter_open,
    coalesce(shelters_full, 0) AS shelters_full, has_shelter_data, beds_available,
    coalesce(beds_occupied, 0) AS sheltered, coalesce(turned_away, 0) AS turned_away
FROM winter_city_nights($start, least($end::DATE, (SELECT data_as_of FROM metadata)), $cities)
QUALIFY bool_or(has_temperature OR has_shelter_data) OVER (PARTITION BY city)
ORDER BY city, night
