-- name: occupancy_nights_by_city
-- One row per city and night, all its shelters together: beds available and occupied,
-- occupancy rate, people turned away (minors and girls among them), and whether an
-- emergency shelter of the city was open that night. For short periods only.
-- params: start, end, cities
-- level: city
-- grain: day
-- counts: beds_occupied, turned_away, turned_away_minors, turned_away_girls
-- lines: city, week; city, month; city
-- rates: occupancy_rate = beds_occupied / beds_available
SELECT
    s.city,
    n.night,
    date_trunc('week', n.night)::DATE AS week,
    date_trunc('month', n.night)::DATE AS month,
    sum(n.beds_available)::BIGINT AS beds_available,
    sum(n.beds_occupied)::BIGINT AS beds_occupied,
    sum(n.beds_occupied) / nullif(sum(n.beds_available), 0) AS occupancy_rate,
    sum(n.turned_away)::BIGINT AS turned_away,
    sum(n.turned_away_minors)::BIGINT AS turned_away_minors,
    sum(n.turned_away_girls)::BIGINT AS turned_away_girls,
    bool_or(s.site_type = 'emergency_shelter' AND n.beds_available > 0) AS emergency_shelter_open
FROM shelter_nights AS n
JOIN sites AS s USING (site_id)
WHERE n.night BETWEEN $start AND $end
  AND (len($cities) = 0 OR s.city IN $cities)
GROUP BY ALL
ORDER BY s.city, n.night
