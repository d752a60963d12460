-- name: occupancy_summary_by_city
-- Shelter use per city over the whole period, all the city's shelters together: the
-- headline figures of each city (same definitions as occupancy_by_city).
-- params: start, end, cities
-- level: city
-- grain: none
-- published: nights_open, bed_nights_available, bed_nights_occupied, nights_full, turned_away, turned_away_minors, turned_away_girls, emergency_nights_open
-- counts: bed_nights_occupied, turned_away, turned_away_minors, turned_away_girls
-- rates: occupancy_rate = bed_nights_occupied / bed_nights_available
-- combine: nights_open = sum, bed_nights_available = sum, nights_full = sum, emergency_nights_open = sum
WITH city_nights AS (
    SELECT
        s.city,
        n.night,
        sum(n.beds_available)::BIGINT AS beds_available,
        sum(n.beds_occupied)::BIGINT AS beds_occupied,
        sum(n.turned_away)::BIGINT AS turned_away,
        sum(n.turned_away_minors)::BIGINT AS turned_away_minors,
        sum(n.turned_away_girls)::BIGINT AS turned_away_girls,
        bool_or(s.site_type = 'emergency_shelter' AND n.beds_available > 0) AS emergency_shelter_open
    FROM shelter_nights AS n
    JOIN sites AS s USING (site_id)
    WHERE n.night BETWEEN $start AND $end
      AND (len($cities) = 0 OR s.city IN $cities)
    GROUP BY s.city, n.night
)
SELECT
    city,
    count(*) FILTER (WHERE beds_available > 0) AS nights_open,
    sum(beds_available)::BIGINT AS bed_nights_available,
    sum(beds_occupied)::BIGINT AS bed_nights_occupied,
    sum(beds_occupied) / nullif(sum(beds_available), 0) AS occupancy_rate,
    count(*) FILTER (WHERE at_capacity(beds_occupied, beds_available)) AS nights_full,
    sum(turned_away)::BIGINT AS turned_away,
    sum(turned_away_minors)::BIGINT AS turned_away_minors,
    sum(turned_away_girls)::BIGINT AS turned_away_girls,
    count(*) FILTER (WHERE emergency_shelter_open) AS emergency_nights_open
FROM city_nights
GROUP BY ALL
ORDER BY city
