-- name: import_campaigns_reference
-- The vaccination campaigns a vaccinations import may refer to.
-- params:
-- level: programme
-- grain: none
SELECT campaign_id, antigen, starts, ends
FROM vaccination_campaigns
ORDER BY campaign_id
