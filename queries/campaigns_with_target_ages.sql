-- name: campaigns_with_target_ages
-- The vaccination campaigns a vaccinations import may refer to, with their target age bands
-- (a dose outside them is loaded with a warning: its campaign's coverage does not count it).
-- params:
-- level: programme
-- grain: none
SELECT campaign_id, antigen, starts, ends, target_age_bands::VARCHAR[] AS target_age_bands
FROM vaccination_campaigns
ORDER BY campaign_id
