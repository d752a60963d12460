-- name: winter_people_by_city_month
-- The people of the winter months (November to March, up to the data's as-of date), per city
-- and month: refusals for lack of a place on cold nights (terrain/definitions.sql; people
-- turned away, counted night by night), consultations, and consultations for cold-related
-- conditions (hypothermia or frostbite, respiratory infection). `season` is the winter the
-- month belongs to, named by the year it starts. The Winter page adds the months up to seasons: every role then sees a
-- season as the sum of its visible months (queries/winter_nights_by_season_city has the nights).
-- A city has a row for a month when it has weather, shelter nights or consultations in it.
-- Counts from the summary site_diagnoses_daily (terrain/summaries.sql), not the consultations rows.
-- The cold-related share is of the medical consultations (from the summary consultations_daily,
-- which has the activity), where these conditions are treated: social, legal and mental health
-- consultations stay out of its denominator.
-- params: start, end, cities
-- level: city
-- grain: month
-- published: turned_away_on_cold_nights, consultations, consultations[activity=medical] as medical_consultations, consultations[diagnosis_group=hypothermia_frostbite+respiratory_infection] as cold_related_consultations
-- The month's line ("period") is consultations_by_period_city's: a city's consultations in a
-- month are hidden here as on the Overview and Consultations pages.
-- counts: turned_away_on_cold_nights, consultations, medical_consultations, cold_related_consultations
-- lines: period; season, city; season
-- rates: cold_related_share = cold_related_consultations / medical_consultations
WITH turned_away AS (
    SELECT n.city, date_trunc('month', n.night)::DATE AS period,
           sum(n.turned_away) FILTER (WHERE cold_night(w.tmin_c, w.vigilance))::BIGINT AS turned_away_on_cold_nights
    FROM city_shelter_nights($start, $end, $cities) AS n
    LEFT JOIN weather_daily AS w ON w.city = n.city AND w.day = n.night
    GROUP BY ALL
),
care AS (
    SELECT c.city, date_trunc('month', c.consulted_on)::DATE AS period,
           sum(c.consultations)::BIGINT AS consultations,
           coalesce(sum(c.consultations) FILTER (WHERE c.diagnosis_group IN ('hypothermia_frostbite', 'respiratory_infection')), 0)::BIGINT
               AS cold_related_consultations
    FROM consultations_in('site_diagnoses_daily', $start, $end, $cities) AS c
    GROUP BY ALL
),
medical AS (  -- the cold-related share's denominator
    SELECT c.city, date_trunc('month', c.consulted_on)::DATE AS period,
           coalesce(sum(c.consultations) FILTER (WHERE c.activity = 'medical'), 0)::BIGINT AS medical_consultations
    FROM consultations_in('consultations_daily', $start, $end, $cities) AS c
    GROUP BY ALL
),
city_months AS (
    SELECT DISTINCT w.city, date_trunc('month', w.day)::DATE AS period
    FROM weather_daily AS w
    WHERE w.day BETWEEN $start AND $end
    UNION SELECT city, period FROM turned_away
    UNION SELECT city, period FROM care
)
SELECT
    m.period,
    winter_season(m.period) AS season,
    m.city,
    coalesce(t.turned_away_on_cold_nights, 0)::BIGINT AS turned_away_on_cold_nights,
    coalesce(c.consultations, 0)::BIGINT AS consultations,
    coalesce(d.medical_consultations, 0)::BIGINT AS medical_consultations,
    coalesce(c.cold_related_consultations, 0)::BIGINT AS cold_related_consultations,
    c.cold_related_consultations / nullif(d.medical_consultations, 0) AS cold_related_share
FROM city_months AS m
LEFT JOIN turned_away AS t USING (city, period)
LEFT JOIN medical AS d USING (city, period)
LEFT JOIN care AS c USING (city, period)
WHERE winter_season(m.period) IS NOT NULL
  AND m.period <= (SELECT data_as_of FROM metadata)
  AND m.city IN (SELECT city FROM sites WHERE len($cities) = 0 OR city IN $cities)
ORDER BY m.period, m.city
