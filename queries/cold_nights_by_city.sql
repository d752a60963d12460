-- name: cold_nights_by_city
-- Nights with a minimum temperature at or below 0 °C in a period, per city, and the
-- coldest minimum. Weather, not people: nothing here is suppressed.
-- params: start, end, cities
-- level: city
-- grain: none
SELECT
    w.city,
    count(*) FILTER (WHERE cold_night(w.tmin_c, w.vigilance)) AS cold_nights,
    count(*) AS nights,
    min(w.tmin_c) AS coldest_c
FROM weather_daily AS w
WHERE w.day BETWEEN $start AND $end
  AND (len($cities) = 0 OR w.city IN $cities)
GROUP BY w.city
ORDER BY w.city
