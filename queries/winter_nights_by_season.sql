-- name: winter_nights_by_season
-- The nights of every winter season in the data (1 November – 31 March, named by the year it
-- starts, counted up to the data's as-of date) for the chosen cities together: a night
-- counts when it holds in at least one of them. Cold: a minimum at or below 0 °C. Vigilance
-- and plan level: the most severe of the cities' (the plan level as declared for the city or
-- its département, never derived from temperature). Without emergency shelter: a cold night
-- when none was open in a city where the programme runs one at some point of that season
-- (as the winter gap alert counts them, queries/winter_nights_with_shelter_open.sql).
-- Nights and weather, not people: nothing here is suppressed.
-- Counts from the summary site_diagnoses_daily (terrain/summaries.sql), not the consultations rows.
-- until: the last day counted; NULL for the data's as-of date. For donors and the public the
-- door sets it to the end of the last approved month (terrain/approvals.py), as it ends
-- their periods: a month that waits for its approval is counted in no season.
-- params: cities, until
-- level: programme
-- grain: none
SELECT * EXCLUDE (city, coldest_c) FROM winter_seasons($until, $cities, false)
ORDER BY season
