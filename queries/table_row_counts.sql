-- name: table_row_counts
-- What each importable table holds: its number of rows and the latest date in it, shown on
-- the import page next to the history of imports.
-- params:
-- level: programme
-- grain: none
SELECT 'sites' AS table_name, count(*) AS row_count, max(opened) AS latest FROM sites
UNION ALL SELECT 'shelter_nights', count(*), max(night) FROM shelter_nights
UNION ALL SELECT 'consultations', count(*), max(consulted_on) FROM consultations
UNION ALL SELECT 'outreach', count(*), max(visited_on) FROM outreach
UNION ALL SELECT 'vaccination_campaigns', count(*), max(starts) FROM vaccination_campaigns
UNION ALL SELECT 'vaccinations', count(*), max(vaccinated_on) FROM vaccinations
UNION ALL SELECT 'weather_daily', count(*), max(day) FROM weather_daily
UNION ALL SELECT 'winter_plan', count(*), max(starts) FROM winter_plan
