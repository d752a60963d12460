-- name: outreach_by_team_week
-- People reached per mobile team and week (weeks start on Monday) from start to end: an
-- import's "usual week" for each team, against which an unusual week in the file is flagged.
-- params: start, end
-- level: site
-- grain: week
-- counts: people_reached
SELECT
    team_id,
    date_trunc('week', visited_on)::DATE AS week,
    sum(people_reached)::BIGINT AS people_reached
FROM outreach
WHERE visited_on BETWEEN $start AND $end
GROUP BY ALL
ORDER BY team_id, week
