-- name: outreach_by_team_place_type
-- People reached in a period per mobile team and place type, with the days the team went
-- out to each kind of place.
-- params: start, end, cities, sites
-- level: site
-- grain: none
-- counts: people_reached
-- lines: team_id; place_type; *
SELECT
    s.city,
    o.team_id,
    s.name AS team_name,
    o.place_type::VARCHAR AS place_type,
    count(DISTINCT o.visited_on) AS days_out,
    sum(o.people_reached)::BIGINT AS people_reached
FROM outreach AS o
JOIN sites AS s ON s.site_id = o.team_id
WHERE o.visited_on BETWEEN $start AND $end
  AND (len($cities) = 0 OR s.city IN $cities)
  AND (len($sites) = 0 OR o.team_id IN $sites)
GROUP BY s.city, o.team_id, s.name, o.place_type
ORDER BY s.city, s.name, o.place_type
