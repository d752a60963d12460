-- name: outreach_teams
-- The mobile teams (and any other site whose staff go out), for the Outreach page's filter.
-- params:
-- level: site
-- grain: none
SELECT s.site_id AS team_id, s.name AS team_name, s.city
FROM sites AS s
WHERE s.site_type = 'mobile_team'
   OR s.site_id IN (SELECT team_id FROM outreach)
ORDER BY s.city, s.name
