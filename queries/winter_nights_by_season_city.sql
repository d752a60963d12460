-- name: winter_nights_by_season_city
-- The winter nights of every season in the data, per city. A season runs from
-- 1 November to 31 March, is named by the year it starts, and is counted up to the data's
-- as-of date. A cold night has a minimum at or below 0 °C. A night's plan level is the most
-- severe level declared for the city or its département (stored, never derived from
-- temperature). A cold night "without emergency shelter" counts only in a city where the
-- programme runs an emergency shelter at some point of that season (as the winter gap alert
-- counts them, queries/winter_nights_with_shelter_open.sql): elsewhere there is no shelter to open.
-- Nights and weather, not people: nothing here is suppressed. The people of the same
-- seasons (turned away on cold nights, consultations) are counted month by month in
-- winter_people_by_city_month, so that a season's figure is the sum of its months for every
-- role, and no season total can be set against its visible months to give a hidden one back.
-- until: the last day counted; NULL for the data's as-of date. For donors and the public the
-- door sets it to the end of the last approved month (terrain/approvals.py), as it ends
-- their periods: a month that waits for its approval is counted in no season.
-- params: cities, until
-- level: city
-- grain: none
SELECT * FROM winter_seasons($until, $cities, true)
ORDER BY season, city
