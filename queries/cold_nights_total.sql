-- name: cold_nights_total
-- Nights in a period when at least one of the chosen cities had a minimum at or below 0 °C.
-- params: start, end, cities
-- level: programme
-- grain: none
SELECT count(DISTINCT w.day) AS cold_nights
FROM weather_daily AS w
WHERE w.day BETWEEN $start AND $end
  AND cold_night(w.tmin_c, w.vigilance)
  AND (len($cities) = 0 OR w.city IN $cities)
