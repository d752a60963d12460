-- name: winter_nights_by_city_month
-- Winter nights per month and city, the view for roles that see months only: cold nights
-- (minimum at or below 0 °C), the coldest minimum, nights under an orange or red vigilance,
-- nights under a declared winter-plan level above the seasonal watch (for the city or its
-- département), nights the emergency shelter was open, and cold nights with none open in a
-- season when the programme runs one in the city (as the winter gap alert counts them).
-- Nights and weather, not people: nothing here is suppressed.
-- params: start, end, cities
-- level: city
-- grain: month
SELECT
    date_trunc('month', night)::DATE AS period,
    city,
    count(*) FILTER (WHERE has_temperature) AS nights_with_temperature,
    count(*) FILTER (WHERE cold_night) AS cold_nights,
    min(tmin_c) AS coldest_c,
    count(*) FILTER (WHERE vigilance IN ('orange', 'red')) AS vigilance_orange_red_nights,
    count(*) FILTER (WHERE plan_level IN ('grand_froid', 'tres_grand_froid', 'froid_extreme')) AS plan_above_watch_nights,
    count(*) FILTER (WHERE emergency_shelter_open) AS emergency_shelter_open_nights,
    bool_or(emergency_shelter_this_season) AS has_emergency_shelter,
    count(*) FILTER (WHERE winter_gap) AS cold_nights_without_emergency_shelter
FROM winter_city_nights($start, least($end::DATE, (SELECT data_as_of FROM metadata)), $cities)
GROUP BY ALL
HAVING bool_or(has_temperature OR emergency_shelter_open)
ORDER BY period, city
