-- name: alert_cold_exclusion
-- Evidence of the cold exclusion alert (terrain/alerts.py, thresholds in config/alerts.toml):
-- every night of every shelter in service, with the city's minimum temperature, cold
-- vigilance colour and whether it was a cold night (terrain/definitions.sql), the beds available and occupied and the people turned away for lack of
-- a place (minors and girls among them). A night with no shelter row has NULL beds available
-- and counts of 0: the shelter was closed (the winter gap alert watches those nights).
-- params: start, end, cities
-- level: site
-- grain: day
-- counts: beds_occupied, turned_away, turned_away_minors, turned_away_girls
WITH site_nights AS (
    SELECT s.site_id, CAST(t.night AS DATE) AS night
    FROM sites AS s,
         generate_series(greatest($start::DATE, s.opened), least($end::DATE, coalesce(s.closed, $end::DATE)),
                         INTERVAL 1 DAY) AS t(night)
    WHERE s.site_type IN ('shelter', 'emergency_shelter')
      AND (len($cities) = 0 OR s.city IN $cities)
)
SELECT
    s.city,
    s.site_id,
    s.name AS site_name,
    s.site_type::VARCHAR AS site_type,
    s.bed_capacity,
    s.population_focus::VARCHAR AS population_focus,
    sn.night AS day,
    w.tmin_c,
    w.vigilance::VARCHAR AS vigilance,
    cold_night(w.tmin_c, w.vigilance) AS cold_night,
    n.beds_available,
    coalesce(n.beds_occupied, 0) AS beds_occupied,
    coalesce(n.turned_away, 0) AS turned_away,
    coalesce(n.turned_away_minors, 0) AS turned_away_minors,
    coalesce(n.turned_away_girls, 0) AS turned_away_girls
FROM site_nights AS sn
JOIN sites AS s USING (site_id)
LEFT JOIN shelter_nights AS n ON n.site_id = sn.site_id AND n.night = sn.night
LEFT JOIN weather_daily AS w ON w.city = s.city AND w.day = sn.night
ORDER BY s.city, s.site_id, sn.night
