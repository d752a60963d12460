-- name: alert_winter_gap
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
WITH season_nights AS (
    SELECT
        w.city,
        w.day,
        w.tmin_c,
        w.vigilance::VARCHAR AS vigilance,
        cold_night(w.tmin_c, w.vigilance) AS cold_night,
        season_first_day(winter_season(w.day)) AS season_start
    FROM weather_daily AS w
    WHERE w.day BETWEEN $start AND $end
      AND winter_season(w.day) IS NOT NULL
      AND (len($cities) = 0 OR w.city IN $cities)
),
in_scope AS (
    SELECT n.*
    FROM season_nights AS n
    WHERE EXISTS (
        SELECT 1 FROM sites AS s
        WHERE s.city = n.city
          AND s.site_type = 'emergency_shelter'
          AND in_service(s.opened, s.closed, n.day))
),
open_beds AS (
    SELECT s.city, sn.night, sum(sn.beds_available) AS emergency_beds
    FROM shelter_nights AS sn
    JOIN sites AS s USING (site_id)
    WHERE s.site_type = 'emergency_shelter'
      AND sn.beds_available > 0
      AND sn.night BETWEEN $start AND $end
    GROUP BY s.city, sn.night
)
SELECT
    n.city,
    n.day,
    n.season_start,
    n.tmin_c,
    n.vigilance,
    n.cold_night,
    coalesce(b.emergency_beds, 0)::BIGINT AS emergency_beds,
    b.night IS NOT NULL AS shelter_open
FROM in_scope AS n
LEFT JOIN open_beds AS b ON b.city = n.city AND b.night = n.day
ORDER BY n.city, n.day
