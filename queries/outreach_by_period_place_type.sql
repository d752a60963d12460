-- name: outreach_by_period_place_type
-- People reached by the mobile teams per period (week or month) and place type (street,
-- squat, camp).
-- params: start, end, grain, cities, sites
-- level: site
-- grain: $grain
-- counts: people_reached
-- lines: period; place_type; *
SELECT date_trunc($grain, o.visited_on)::DATE AS period, o.place_type::VARCHAR AS place_type,
       sum(o.people_reached)::BIGINT AS people_reached
FROM outreach_in($start, $end, $cities, $sites) AS o
GROUP BY period, o.place_type
ORDER BY period, o.place_type
