-- name: occupancy_emergency_open_periods
-- The spells during which an emergency shelter of a city was open (beds available), within
-- the period: first and last night, number of nights. Shaded on the occupancy charts.
-- params: start, end, cities
-- level: city
-- grain: day
WITH spells AS (
    -- Consecutive nights share the same night minus their rank: one value per spell.
    SELECT city, night, night - CAST(row_number() OVER (PARTITION BY city ORDER BY night) AS INTEGER) AS spell
    FROM city_shelter_nights($start, $end, $cities)
    WHERE emergency_shelter_open
)
SELECT city, min(night) AS first_night, max(night) AS last_night, count(*) AS nights
FROM spells
GROUP BY city, spell
ORDER BY city, first_night
