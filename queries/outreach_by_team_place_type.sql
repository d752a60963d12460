-- name: outreach_by_team_place_type
-- People reached in a period per mobile team and place type, with the days the team went
-- out to each kind of place.
-- params: start, end, cities, sites
-- level: site
-- grain: none
-- counts: people_reached
-- lines: team_id; place_type; *
SELECT o.city, o.team_id, o.team_name, o.place_type::VARCHAR AS place_type,
       count(DISTINCT o.visited_on) AS days_out, sum(o.people_reached)::BIGINT AS people_reached
FROM outreach_in($start, $end, $cities, $sites) AS o
GROUP BY o.city, o.team_id, o.team_name, o.place_type
ORDER BY o.city, o.team_name, o.place_type
