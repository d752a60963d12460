-- The true cells of the published grid, read from the rows (the summary tables, the shelter
-- nights, outreach and vaccinations): one row per measure, breakdown, category, city and
-- calendar month that holds something. Only terrain/disclosure/publication.py runs it, when a
-- data version is written; what it returns is suppressed there before anyone reads it.
-- A measure's total over its categories is the row with breakdown 'all' and category '*';
-- margins over cities are added in Python. Months run from the first month with data to the
-- last whole month before the data's as-of date (the month in progress is never published).
-- params: first_month, last_month
WITH city_nights AS (  -- all of a city's shelters together, night by night (terrain/relations.sql)
    SELECT * FROM city_shelter_nights($first_month, ($last_month + INTERVAL 1 MONTH - INTERVAL 1 DAY)::DATE, [])
),
shelter AS (
    SELECT n.city, date_trunc('month', n.night)::DATE AS month,
           sum(n.beds_available)::BIGINT AS bed_nights_available,
           sum(n.beds_occupied)::BIGINT AS bed_nights_occupied,
           count(*) FILTER (WHERE n.beds_available > 0)::BIGINT AS nights_open,
           count(*) FILTER (WHERE at_capacity(n.beds_occupied, n.beds_available))::BIGINT AS nights_full,
           count(*) FILTER (WHERE n.emergency_shelter_open)::BIGINT AS emergency_nights_open,
           sum(n.turned_away)::BIGINT AS turned_away,
           sum(n.turned_away_minors)::BIGINT AS turned_away_minors,
           sum(n.turned_away_girls)::BIGINT AS turned_away_girls,
           coalesce(sum(n.turned_away) FILTER (WHERE cold_night(w.tmin_c, w.vigilance)), 0)::BIGINT AS turned_away_on_cold_nights
    FROM city_nights AS n
    LEFT JOIN weather_daily AS w ON w.city = n.city AND w.day = n.night
    GROUP BY ALL
),
filters AS (
    SELECT s.city, date_trunc('month', c.consulted_on)::DATE AS month, c.activity::VARCHAR AS activity,
           c.age_band::VARCHAR AS age_band, c.sex::VARCHAR AS sex, c.unaccompanied_minor::VARCHAR AS minor,
           sum(c.consultations)::BIGINT AS n
    FROM consultations_daily AS c
    JOIN sites AS s USING (site_id)
    WHERE c.consulted_on >= $first_month AND c.consulted_on < $last_month + INTERVAL 1 MONTH
    GROUP BY ALL
),
diagnoses AS (
    SELECT s.city, date_trunc('month', c.consulted_on)::DATE AS month, c.diagnosis_group::VARCHAR AS category,
           sum(c.consultations)::BIGINT AS n
    FROM site_diagnoses_daily AS c
    JOIN sites AS s USING (site_id)
    WHERE c.consulted_on >= $first_month AND c.consulted_on < $last_month + INTERVAL 1 MONTH
    GROUP BY ALL
),
coverage AS (
    SELECT s.city, date_trunc('month', c.consulted_on)::DATE AS month, c.health_coverage::VARCHAR AS category,
           sum(c.consultations)::BIGINT AS n
    FROM consultations_daily_coverage AS c
    JOIN sites AS s USING (site_id)
    WHERE c.consulted_on >= $first_month AND c.consulted_on < $last_month + INTERVAL 1 MONTH
    GROUP BY ALL
),
visits AS (
    SELECT s.city, date_trunc('month', c.consulted_on)::DATE AS month, c.visit::VARCHAR AS visit,
           CASE WHEN c.referred THEN 'yes' ELSE 'no' END AS referred, sum(c.consultations)::BIGINT AS n
    FROM consultations_daily_visit AS c
    JOIN sites AS s USING (site_id)
    WHERE c.consulted_on >= $first_month AND c.consulted_on < $last_month + INTERVAL 1 MONTH
    GROUP BY ALL
),
reached AS (
    SELECT s.city, date_trunc('month', o.visited_on)::DATE AS month, o.place_type::VARCHAR AS category,
           sum(o.people_reached)::BIGINT AS n
    FROM outreach AS o
    JOIN sites AS s ON s.site_id = o.team_id
    WHERE o.visited_on >= $first_month AND o.visited_on < $last_month + INTERVAL 1 MONTH
    GROUP BY ALL
),
cold AS (  -- cold nights, and the winter gap nights among them (terrain/definitions.sql)
    SELECT w.city, date_trunc('month', w.day)::DATE AS month,
           count(*)::BIGINT AS cold_nights,
           count(*) FILTER (WHERE winter_gap(w.day, w.tmin_c, w.vigilance, EXISTS (
               SELECT 1 FROM sites AS s
               WHERE s.city = w.city AND s.site_type = 'emergency_shelter'
                 AND in_service(s.opened, s.closed, w.day)), n.emergency_shelter_open))::BIGINT
               AS cold_nights_without_emergency_shelter
    FROM weather_daily AS w
    LEFT JOIN city_nights AS n ON n.city = w.city AND n.night = w.day
    WHERE cold_night(w.tmin_c, w.vigilance) AND w.day >= $first_month AND w.day < $last_month + INTERVAL 1 MONTH
    GROUP BY ALL
),
doses AS (
    SELECT s.city, date_trunc('month', v.vaccinated_on)::DATE AS month, v.antigen AS category,
           sum(v.doses)::BIGINT AS n
    FROM vaccinations AS v
    JOIN sites AS s USING (site_id)
    WHERE v.vaccinated_on >= $first_month AND v.vaccinated_on < $last_month + INTERVAL 1 MONTH
    GROUP BY ALL
)
SELECT 'consultations' AS measure, 'all' AS breakdown, '*' AS category, city, month, sum(n)::BIGINT AS value
FROM filters GROUP BY ALL
UNION ALL
SELECT 'consultations', 'activity', activity, city, month, sum(n)::BIGINT FROM filters GROUP BY ALL
UNION ALL
SELECT 'consultations', 'age_sex', age_band || ' ' || sex, city, month, sum(n)::BIGINT FROM filters GROUP BY ALL
UNION ALL
SELECT 'consultations', 'unaccompanied_minor', minor, city, month, sum(n)::BIGINT FROM filters GROUP BY ALL
UNION ALL
SELECT 'consultations', 'diagnosis_group', category, city, month, n FROM diagnoses
UNION ALL
SELECT 'consultations', 'health_coverage', category, city, month, n FROM coverage
UNION ALL
SELECT 'consultations', 'visit_referred', visit || ' ' || referred, city, month, n FROM visits
UNION ALL
SELECT 'people_reached', 'all', '*', city, month, sum(n)::BIGINT FROM reached GROUP BY ALL
UNION ALL
SELECT 'people_reached', 'place_type', category, city, month, n FROM reached
UNION ALL
SELECT 'doses', 'all', '*', city, month, sum(n)::BIGINT FROM doses GROUP BY ALL
UNION ALL
SELECT 'doses', 'antigen', category, city, month, n FROM doses
UNION ALL
SELECT measure, 'all', '*', city, month, value
FROM shelter
UNPIVOT (value FOR measure IN (bed_nights_available, bed_nights_occupied, nights_open, nights_full,
                               emergency_nights_open, turned_away, turned_away_minors, turned_away_girls,
                               turned_away_on_cold_nights))
UNION ALL
SELECT measure, 'all', '*', city, month, value
FROM cold
UNPIVOT (value FOR measure IN (cold_nights, cold_nights_without_emergency_shelter))
