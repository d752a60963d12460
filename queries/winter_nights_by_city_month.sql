-- name: winter_nights_by_city_month
-- Winter nights per month and city, the view for roles that see months only: cold nights
-- (minimum at or below 0 °C), the coldest minimum, nights under an orange or red vigilance,
-- nights under a declared winter-plan level above the seasonal watch (for the city or its
-- département), nights the emergency shelter was open, and cold nights with none open in a
-- season when the programme runs one in the city (as the winter gap alert counts them).
-- Nights and weather, not people: nothing here is suppressed.
-- params: start, end, cities
-- level: city
-- grain: month
WITH places AS (
    SELECT DISTINCT city, departement FROM sites
    WHERE len($cities) = 0 OR city IN $cities
),
city_nights AS (  -- season: the winter season a night belongs to (terrain/definitions.sql)
    SELECT c.city, CAST(t.night AS DATE) AS night, winter_season(CAST(t.night AS DATE)) AS season
    FROM (SELECT DISTINCT city FROM places) AS c,
         generate_series($start::DATE, least($end::DATE, (SELECT data_as_of FROM metadata)), INTERVAL 1 DAY) AS t(night)
),
declared AS (
    SELECT cn.city, cn.night, max(p.level) AS level
    FROM city_nights AS cn
    JOIN places AS pl ON pl.city = cn.city
    JOIN winter_plan AS p
      ON ((p.area_kind = 'departement' AND p.area = pl.departement) OR (p.area_kind = 'city' AND p.area = cn.city))
     AND cn.night BETWEEN p.starts AND p.ends
    GROUP BY cn.city, cn.night
),
emergency_nights AS (  -- nights of the season when the city's emergency shelter was in service
    SELECT DISTINCT cn.city, cn.night
    FROM city_nights AS cn
    JOIN sites AS s ON s.city = cn.city AND s.site_type = 'emergency_shelter'
     AND cn.season IS NOT NULL AND in_service(s.opened, s.closed, cn.night)
),
emergency_open AS (
    SELECT DISTINCT s.city, n.night
    FROM shelter_nights AS n
    JOIN sites AS s USING (site_id)
    WHERE s.site_type = 'emergency_shelter' AND n.beds_available > 0
      AND n.night BETWEEN $start AND $end
)
SELECT
    date_trunc('month', cn.night)::DATE AS period,
    cn.city,
    count(w.day) AS nights_with_temperature,
    count(*) FILTER (WHERE cold_night(w.tmin_c, w.vigilance)) AS cold_nights,
    min(w.tmin_c) AS coldest_c,
    count(*) FILTER (WHERE w.vigilance IN ('orange', 'red')) AS vigilance_orange_red_nights,
    count(*) FILTER (WHERE d.level IN ('grand_froid', 'tres_grand_froid', 'froid_extreme')) AS plan_above_watch_nights,
    count(*) FILTER (WHERE o.night IS NOT NULL) AS emergency_shelter_open_nights,
    count(e.night) > 0 AS has_emergency_shelter,
    count(*) FILTER (WHERE winter_gap(cn.night, w.tmin_c, w.vigilance, e.night IS NOT NULL, o.night IS NOT NULL))
        AS cold_nights_without_emergency_shelter
FROM city_nights AS cn
LEFT JOIN weather_daily AS w ON w.city = cn.city AND w.day = cn.night
LEFT JOIN declared AS d ON d.city = cn.city AND d.night = cn.night
LEFT JOIN emergency_nights AS e ON e.city = cn.city AND e.night = cn.night
LEFT JOIN emergency_open AS o ON o.city = cn.city AND o.night = cn.night
GROUP BY ALL
HAVING count(w.day) > 0 OR count(o.night) > 0
ORDER BY period, cn.city
