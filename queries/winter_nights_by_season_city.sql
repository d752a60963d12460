-- name: winter_nights_by_season_city
-- The winter nights of every season in the data, per city. A season runs from
-- 1 November to 31 March, is named by the year it starts, and is counted up to the data's
-- as-of date. A cold night has a minimum at or below 0 °C. A night's plan level is the most
-- severe level declared for the city or its département (stored, never derived from
-- temperature). A cold night "without emergency shelter" counts only in a city where the
-- programme runs an emergency shelter at some point of that season (as the winter gap alert
-- counts them, queries/alert_winter_gap.sql): elsewhere there is no shelter to open.
-- Nights and weather, not people: nothing here is suppressed. The people of the same
-- seasons (turned away on cold nights, consultations) are counted month by month in
-- winter_people_by_city_month, so that a season's figure is the sum of its months for every
-- role, and no season total can be set against its visible months to give a hidden one back.
-- until: the last day counted; NULL for the data's as-of date. For donors and the public the
-- door sets it to the end of the last approved month (terrain/approvals.py), as it ends
-- their periods: a month that waits for its approval is counted in no season.
-- params: cities, until
-- level: city
-- grain: none
WITH as_of AS (
    SELECT least(data_as_of, coalesce(CAST($until AS DATE), data_as_of)) AS day FROM metadata
),
places AS (
    SELECT DISTINCT city, departement FROM sites
    WHERE len($cities) = 0 OR city IN $cities
),
dated AS (
    SELECT w.city, w.day FROM weather_daily AS w
    UNION
    SELECT s.city, n.night FROM shelter_nights AS n JOIN sites AS s USING (site_id)
    UNION
    SELECT s.city, c.consulted_on FROM (SELECT DISTINCT site_id, consulted_on FROM site_diagnoses_daily) AS c
    JOIN sites AS s USING (site_id)
),
city_seasons AS (
    SELECT DISTINCT d.city, winter_season(d.day) AS season
    FROM dated AS d
    WHERE winter_season(d.day) IS NOT NULL
      AND d.day <= (SELECT day FROM as_of)
      AND d.city IN (SELECT city FROM places)
),
city_nights AS (
    SELECT cs.city, cs.season, CAST(t.night AS DATE) AS night
    FROM city_seasons AS cs,
         generate_series(season_first_day(cs.season),
                         least(season_last_day(cs.season), (SELECT day FROM as_of)),
                         INTERVAL 1 DAY) AS t(night)
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
emergency_nights AS (  -- nights when the city's emergency shelter was in service
    SELECT DISTINCT cn.city, cn.night
    FROM city_nights AS cn
    JOIN sites AS s ON s.city = cn.city AND s.site_type = 'emergency_shelter'
     AND in_service(s.opened, s.closed, cn.night)
),
sheltering AS (
    SELECT s.city, n.night,
           bool_or(s.site_type = 'emergency_shelter' AND n.beds_available > 0) AS emergency_open
    FROM shelter_nights AS n
    JOIN sites AS s USING (site_id)
    GROUP BY s.city, n.night
)
SELECT cn.season, cn.city,
       count(*) AS nights,
       count(w.day) AS nights_with_temperature,
       count(*) FILTER (WHERE cold_night(w.tmin_c, w.vigilance)) AS cold_nights,
       min(w.tmin_c) AS coldest_c,
       count(*) FILTER (WHERE w.vigilance = 'green') AS vigilance_green_nights,
       count(*) FILTER (WHERE w.vigilance = 'yellow') AS vigilance_yellow_nights,
       count(*) FILTER (WHERE w.vigilance = 'orange') AS vigilance_orange_nights,
       count(*) FILTER (WHERE w.vigilance = 'red') AS vigilance_red_nights,
       count(*) FILTER (WHERE d.level = 'veille_saisonniere') AS plan_veille_saisonniere_nights,
       count(*) FILTER (WHERE d.level = 'grand_froid') AS plan_grand_froid_nights,
       count(*) FILTER (WHERE d.level = 'tres_grand_froid') AS plan_tres_grand_froid_nights,
       count(*) FILTER (WHERE d.level = 'froid_extreme') AS plan_froid_extreme_nights,
       count(e.night) > 0 AS has_emergency_shelter,
       count(*) FILTER (WHERE sh.emergency_open) AS emergency_shelter_open_nights,
       count(*) FILTER (WHERE winter_gap(cn.night, w.tmin_c, w.vigilance, e.night IS NOT NULL, sh.emergency_open))
           AS cold_nights_without_emergency_shelter
FROM city_nights AS cn
LEFT JOIN weather_daily AS w ON w.city = cn.city AND w.day = cn.night
LEFT JOIN declared AS d ON d.city = cn.city AND d.night = cn.night
LEFT JOIN emergency_nights AS e ON e.city = cn.city AND e.night = cn.night
LEFT JOIN sheltering AS sh ON sh.city = cn.city AND sh.night = cn.night
GROUP BY cn.season, cn.city
ORDER BY cn.season, cn.city
