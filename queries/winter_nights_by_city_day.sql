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
sheltering AS (
    SELECT s.city, n.night,
           bool_or(s.site_type = 'emergency_shelter' AND n.beds_available > 0) AS emergency_open,
           count(*) FILTER (WHERE at_capacity(n.beds_occupied, n.beds_available)) AS shelters_full,
           sum(n.beds_available)::BIGINT AS beds_available,
           sum(n.beds_occupied)::BIGINT AS sheltered,
           sum(n.turned_away)::BIGINT AS turned_away
    FROM shelter_nights AS n
    JOIN sites AS s USING (site_id)
    WHERE n.night BETWEEN $start AND $end
    GROUP BY s.city, n.night
)
SELECT
    cn.city,
    cn.night,
    date_trunc('month', cn.night)::DATE AS month,
    w.tmin_c,
    w.tmax_c,
    cold_night(w.tmin_c, w.vigilance) AS cold_night,
    w.vigilance::VARCHAR AS vigilance,
    d.level::VARCHAR AS plan_level,
    e.night IS NOT NULL AS emergency_shelter_this_season,
    coalesce(sh.emergency_open, false) AS emergency_shelter_open,
    coalesce(sh.shelters_full, 0) AS shelters_full,
    sh.night IS NOT NULL AS has_shelter_data,
    sh.beds_available,
    coalesce(sh.sheltered, 0) AS sheltered,
    coalesce(sh.turned_away, 0) AS turned_away
FROM city_nights AS cn
LEFT JOIN weather_daily AS w ON w.city = cn.city AND w.day = cn.night
LEFT JOIN declared AS d ON d.city = cn.city AND d.night = cn.night
LEFT JOIN emergency_nights AS e ON e.city = cn.city AND e.night = cn.night
LEFT JOIN sheltering AS sh ON sh.city = cn.city AND sh.night = cn.night
QUALIFY count(w.day) OVER (PARTITION BY cn.city) + count(sh.night) OVER (PARTITION BY cn.city) > 0
ORDER BY cn.city, cn.night
