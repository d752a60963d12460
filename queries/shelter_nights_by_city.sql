-- name: shelter_nights_by_city
-- Shelter use in a period, per city: bed-nights occupied and available, nights at capacity
-- (nights when all the city's beds were taken together, as occupancy_summary_by_city and the
-- published set count them: a city's night, not one per shelter), refusals for lack of a
-- place (people turned away, counted night by night; minors and girls among them).
-- No line: no query publishes a true total over cities; the Overview adds up the visible
-- cells. Its cells are those of occupancy_summary_by_city, hidden alike, so the Overview and
-- Occupancy pages give a role the same totals.
-- params: start, end, cities
-- level: city
-- grain: none
-- published: bed_nights_occupied, bed_nights_available, nights_full as nights_at_capacity, turned_away, turned_away_minors, turned_away_girls
-- counts: bed_nights_occupied, turned_away, turned_away_minors, turned_away_girls
-- rates: occupancy_rate = bed_nights_occupied / bed_nights_available
-- combine: bed_nights_available = sum, nights_at_capacity = sum
WITH city_nights AS (
    SELECT s.city, n.night,
           sum(n.beds_available)::BIGINT AS beds_available,
           sum(n.beds_occupied)::BIGINT AS beds_occupied,
           sum(n.turned_away)::BIGINT AS turned_away,
           sum(n.turned_away_minors)::BIGINT AS turned_away_minors,
           sum(n.turned_away_girls)::BIGINT AS turned_away_girls
    FROM shelter_nights AS n
    JOIN sites AS s USING (site_id)
    WHERE n.night BETWEEN $start AND $end
      AND (len($cities) = 0 OR s.city IN $cities)
    GROUP BY s.city, n.night
)
SELECT
    city,
    sum(beds_occupied) AS bed_nights_occupied,
    sum(beds_available) AS bed_nights_available,
    sum(beds_occupied) / nullif(sum(beds_available), 0) AS occupancy_rate,
    count(*) FILTER (WHERE at_capacity(beds_occupied, beds_available)) AS nights_at_capacity,
    sum(turned_away) AS turned_away,
    sum(turned_away_minors) AS turned_away_minors,
    sum(turned_away_girls) AS turned_away_girls
FROM city_nights
GROUP BY city
ORDER BY city
