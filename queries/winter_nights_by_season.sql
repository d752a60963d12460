-- name: winter_nights_by_season
-- The nights of every winter season in the data (1 November – 31 March, named by the year it
-- starts, counted up to the data's as-of date) for the chosen cities together: a night
-- counts when it holds in at least one of them. Cold: a minimum at or below 0 °C. Vigilance
-- and plan level: the most severe of the cities' (the plan level as declared for the city or
-- its département, never derived from temperature). Without emergency shelter: a cold night
-- when none was open in a city where the programme runs one at some point of that season
-- (as the winter gap alert counts them, queries/alert_winter_gap.sql).
-- Nights and weather, not people: nothing here is suppressed.
-- Counts from the summary site_diagnoses_daily (terrain/summaries.sql), not the consultations rows.
-- until: the last day counted; NULL for the data's as-of date. For donors and the public the
-- door sets it to the end of the last approved month (terrain/approvals.py), as it ends
-- their periods: a month that waits for its approval is counted in no season.
-- params: cities, until
-- level: programme
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
emergency_open AS (
    SELECT DISTINCT s.city, n.night
    FROM shelter_nights AS n
    JOIN sites AS s USING (site_id)
    WHERE s.site_type = 'emergency_shelter' AND n.beds_available > 0
),
nights AS (
    SELECT cn.season, cn.night,
           count(w.day) > 0 AS has_temperature,
           coalesce(bool_or(cold_night(w.tmin_c, w.vigilance)), false) AS cold,
           max(w.vigilance) AS vigilance,
           max(d.level) AS level,
           count(e.night) > 0 AS emergency_this_season,
           count(o.night) > 0 AS emergency_open,
           coalesce(bool_or(winter_gap(cn.night, w.tmin_c, w.vigilance, e.night IS NOT NULL, o.night IS NOT NULL)), false) AS winter_gap
    FROM city_nights AS cn
    LEFT JOIN weather_daily AS w ON w.city = cn.city AND w.day = cn.night
    LEFT JOIN declared AS d ON d.city = cn.city AND d.night = cn.night
    LEFT JOIN emergency_nights AS e ON e.city = cn.city AND e.night = cn.night
    LEFT JOIN emergency_open AS o ON o.city = cn.city AND o.night = cn.night
    GROUP BY cn.season, cn.night
)
SELECT
    season,
    count(*) AS nights,
    count(*) FILTER (WHERE has_temperature) AS nights_with_temperature,
    count(*) FILTER (WHERE cold) AS cold_nights,
    count(*) FILTER (WHERE vigilance = 'green') AS vigilance_green_nights,
    count(*) FILTER (WHERE vigilance = 'yellow') AS vigilance_yellow_nights,
    count(*) FILTER (WHERE vigilance = 'orange') AS vigilance_orange_nights,
    count(*) FILTER (WHERE vigilance = 'red') AS vigilance_red_nights,
    count(*) FILTER (WHERE level = 'veille_saisonniere') AS plan_veille_saisonniere_nights,
    count(*) FILTER (WHERE level = 'grand_froid') AS plan_grand_froid_nights,
    count(*) FILTER (WHERE level = 'tres_grand_froid') AS plan_tres_grand_froid_nights,
    count(*) FILTER (WHERE level = 'froid_extreme') AS plan_froid_extreme_nights,
    bool_or(emergency_this_season) AS has_emergency_shelter,
    count(*) FILTER (WHERE emergency_open) AS emergency_shelter_open_nights,
    count(*) FILTER (WHERE winter_gap) AS cold_nights_without_emergency_shelter
FROM nights
GROUP BY season
ORDER BY season
