-- name: occupancy_by_site
-- Shelter use per shelter and week or month: nights open, bed-nights available and
-- occupied, occupancy rate (bed-nights occupied / available, i.e. the mean of the nightly
-- rates weighted by beds), nights at or over capacity, people turned away (minors and girls
-- among them).
-- params: start, end, grain, cities, sites
-- level: site
-- grain: $grain
-- counts: bed_nights_occupied, turned_away, turned_away_minors, turned_away_girls
-- lines: site_id; city, period; city
-- rates: occupancy_rate = bed_nights_occupied / bed_nights_available
SELECT
    s.city,
    n.site_id,
    s.name AS site_name,
    s.site_type::VARCHAR AS site_type,
    date_trunc($grain, n.night)::DATE AS period,
    count(*) FILTER (WHERE n.beds_available > 0) AS nights_open,
    sum(n.beds_available)::BIGINT AS bed_nights_available,
    sum(n.beds_occupied)::BIGINT AS bed_nights_occupied,
    sum(n.beds_occupied) / nullif(sum(n.beds_available), 0) AS occupancy_rate,
    count(*) FILTER (WHERE at_capacity(n.beds_occupied, n.beds_available)) AS nights_full,
    sum(n.turned_away)::BIGINT AS turned_away,
    sum(n.turned_away_minors)::BIGINT AS turned_away_minors,
    sum(n.turned_away_girls)::BIGINT AS turned_away_girls
FROM shelter_nights AS n
JOIN sites AS s USING (site_id)
WHERE n.night BETWEEN $start AND $end
  AND (len($cities) = 0 OR s.city IN $cities)
  AND (len($sites) = 0 OR n.site_id IN $sites)
GROUP BY ALL
ORDER BY s.city, s.name, period
