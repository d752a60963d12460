-- name: occupancy_nights_by_site
-- One row per shelter and night: beds available and occupied, occupancy rate, people
-- turned away for lack of a place (minors and girls among them). For short periods only.
-- The week and month columns name the weekly and monthly totals the page shows elsewhere,
-- so that secondary suppression covers them.
-- params: start, end, cities, sites
-- level: site
-- grain: day
-- counts: beds_occupied, turned_away, turned_away_minors, turned_away_girls
-- lines: site_id; site_id, week; site_id, month; city, night; city, week; city, month; city
-- rates: occupancy_rate = beds_occupied / beds_available
SELECT
    s.city,
    n.site_id,
    s.name AS site_name,
    s.site_type::VARCHAR AS site_type,
    n.night,
    date_trunc('week', n.night)::DATE AS week,
    date_trunc('month', n.night)::DATE AS month,
    n.beds_available,
    n.beds_occupied,
    n.beds_occupied / nullif(n.beds_available, 0) AS occupancy_rate,
    n.turned_away,
    n.turned_away_minors,
    n.turned_away_girls
FROM shelter_nights AS n
JOIN sites AS s USING (site_id)
WHERE n.night BETWEEN $start AND $end
  AND (len($cities) = 0 OR s.city IN $cities)
  AND (len($sites) = 0 OR n.site_id IN $sites)
ORDER BY s.city, s.name, n.night
