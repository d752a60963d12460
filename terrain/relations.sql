-- The rows many queries start from, each written once as a table macro: the consultations a
-- period, its cities and the Consultations page's filters select; a city's shelter nights;
-- each shelter's and each city's occupancy; every night of a city with its weather, winter
-- plan and emergency shelter; each site's activity for the map. A query in queries/ reads
-- one of them and adds the few lines that make it different (its columns, groups, order).
--
-- terrain/definitions.py installs them with the definitions (terrain/definitions.sql) on
-- every connection and cursor the query door uses, as temporary macros: the database file
-- is opened read-only, so nothing is stored in it, and a file of any schema version, a
-- fixture or an import's new file gets the same macros. A macro's table names are resolved
-- when a query calls it, in the database the connection uses (USE terrain).
--
-- Enumerated columns a query orders or compares by (activity, age band, vigilance, plan
-- level, a map site's type...) keep their type here, so that they keep their declared order;
-- the query casts them to text where it shows them.

-- --- consultations ---------------------------------------------------------------------------

-- The rows of a consultations summary (terrain/summaries.sql: `summary` names one of its
-- tables) on the days from `first_day` to `last_day` at the sites of `cities` (every city
-- when empty), each with its site's city, name and type.
CREATE OR REPLACE TEMP MACRO consultations_in(summary, first_day, last_day, cities) AS TABLE
    SELECT c.*, s.city, s.name AS site_name, s.site_type
    FROM query_table(summary) AS c
    JOIN sites AS s USING (site_id)
    WHERE c.consulted_on BETWEEN first_day AND last_day
      AND (len(cities) = 0 OR s.city IN cities);

-- The same, narrowed by every filter of the Consultations page (an empty list filters
-- nothing): sites, activities, age bands, sexes, minors only, girls only (terrain/definitions.sql).
CREATE OR REPLACE TEMP MACRO consultations_filtered(summary, first_day, last_day, cities, sites, activities,
                                                    age_bands, sexes, minors_only, girls_only) AS TABLE
    SELECT *
    FROM consultations_in(summary, first_day, last_day, cities) AS c
    WHERE (len(sites) = 0 OR c.site_id IN sites)
      AND (len(activities) = 0 OR c.activity::VARCHAR IN activities)
      AND (len(age_bands) = 0 OR c.age_band::VARCHAR IN age_bands)
      AND (len(sexes) = 0 OR c.sex::VARCHAR IN sexes)
      AND (NOT minors_only OR is_minor(c.age_band, c.unaccompanied_minor))
      AND (NOT girls_only OR is_girl(c.sex, c.age_band, c.unaccompanied_minor));

-- --- sites and shelters -------------------------------------------------------------------------

-- What the alerts' evidence says of a site, without its coordinates.
CREATE OR REPLACE TEMP MACRO site_details() AS TABLE
    SELECT city, site_id, name AS site_name, site_type::VARCHAR AS site_type, bed_capacity,
           population_focus::VARCHAR AS population_focus
    FROM sites;

-- Every night from `first_day` to `last_day` of every shelter (and emergency shelter) of
-- `cities` while it is in service, with its site's details and the city's weather. A night
-- with no shelter row has NULL beds available and counts of 0: the shelter was closed.
CREATE OR REPLACE TEMP MACRO shelter_nights_in_service(first_day, last_day, cities) AS TABLE
    WITH site_nights AS (
        SELECT s.site_id, CAST(t.night AS DATE) AS night
        FROM sites AS s,
             generate_series(greatest(first_day::DATE, s.opened), least(last_day::DATE, coalesce(s.closed, last_day::DATE)),
                             INTERVAL 1 DAY) AS t(night)
        WHERE s.site_type IN ('shelter', 'emergency_shelter')
          AND (len(cities) = 0 OR s.city IN cities)
    )
    SELECT d.*, sn.night AS day, w.tmin_c, w.vigilance,
           n.beds_available,
           coalesce(n.beds_occupied, 0) AS beds_occupied,
           coalesce(n.turned_away, 0) AS turned_away,
           coalesce(n.turned_away_minors, 0) AS turned_away_minors,
           coalesce(n.turned_away_girls, 0) AS turned_away_girls
    FROM site_nights AS sn
    JOIN site_details() AS d USING (site_id)
    LEFT JOIN shelter_nights AS n ON n.site_id = sn.site_id AND n.night = sn.night
    LEFT JOIN weather_daily AS w ON w.city = d.city AND w.day = sn.night;

-- Each city's shelter nights from `first_day` to `last_day`, all its shelters together: beds
-- available and occupied, people turned away (minors and girls among them), whether an
-- emergency shelter of the city was open (a row with beds) and its beds, and how many
-- shelters were full.
CREATE OR REPLACE TEMP MACRO city_shelter_nights(first_day, last_day, cities) AS TABLE
    SELECT s.city, n.night,
           sum(n.beds_available)::BIGINT AS beds_available,
           sum(n.beds_occupied)::BIGINT AS beds_occupied,
           sum(n.turned_away)::BIGINT AS turned_away,
           sum(n.turned_away_minors)::BIGINT AS turned_away_minors,
           sum(n.turned_away_girls)::BIGINT AS turned_away_girls,
           bool_or(s.site_type = 'emergency_shelter' AND n.beds_available > 0) AS emergency_shelter_open,
           sum(n.beds_available) FILTER (WHERE s.site_type = 'emergency_shelter' AND n.beds_available > 0)::BIGINT
               AS emergency_beds,
           count(*) FILTER (WHERE at_capacity(n.beds_occupied, n.beds_available)) AS shelters_full
    FROM shelter_nights AS n
    JOIN sites AS s USING (site_id)
    WHERE n.night BETWEEN first_day AND last_day
      AND (len(cities) = 0 OR s.city IN cities)
    GROUP BY s.city, n.night;

-- Shelter use per `period` over the nights from `first_day` to `last_day`: per shelter of
-- `cities` and `sites` (every one when empty) when `per_site`, else per city, all its
-- shelters together night by night (a city's night is full when all its beds are taken
-- together; site_id and the site's columns are then NULL). Nights with a bed open,
-- bed-nights available and occupied, occupancy rate (bed-nights occupied / available, the
-- mean of the nightly rates weighted by beds), nights at or over capacity, people turned away
-- (minors and girls among them), nights an emergency shelter of the city was open (per city).
-- `grain` is week or month, or NULL for the whole period (then `period` is NULL).
CREATE OR REPLACE TEMP MACRO occupancy(first_day, last_day, cities, sites, grain, per_site) AS TABLE
    WITH nights AS (
        SELECT s.city, n.site_id, n.night, n.beds_available, n.beds_occupied,
               n.turned_away, n.turned_away_minors, n.turned_away_girls
        FROM shelter_nights AS n
        JOIN sites AS s USING (site_id)
        WHERE per_site
          AND n.night BETWEEN first_day AND last_day
          AND (len(cities) = 0 OR s.city IN cities)
          AND (len(sites) = 0 OR n.site_id IN sites)
        UNION ALL BY NAME
        SELECT * EXCLUDE (emergency_beds, shelters_full)
        FROM city_shelter_nights(first_day, last_day, cities)
        WHERE NOT per_site
    )
    SELECT
        n.city, n.site_id, s.name AS site_name, s.site_type::VARCHAR AS site_type, s.bed_capacity,
        date_trunc(grain, n.night)::DATE AS period,
        count(*) FILTER (WHERE n.beds_available > 0) AS nights_open,
        sum(n.beds_available)::BIGINT AS bed_nights_available,
        sum(n.beds_occupied)::BIGINT AS bed_nights_occupied,
        sum(n.beds_occupied) / nullif(sum(n.beds_available), 0) AS occupancy_rate,
        count(*) FILTER (WHERE at_capacity(n.beds_occupied, n.beds_available)) AS nights_full,
        sum(n.turned_away)::BIGINT AS turned_away,
        sum(n.turned_away_minors)::BIGINT AS turned_away_minors,
        sum(n.turned_away_girls)::BIGINT AS turned_away_girls,
        count(*) FILTER (WHERE n.emergency_shelter_open) AS emergency_nights_open
    FROM nights AS n
    LEFT JOIN sites AS s USING (site_id)
    GROUP BY ALL;

-- --- winter ----------------------------------------------------------------------------------

-- Every night from `first_day` to `last_day` in each city of `cities` (every city of the
-- programme when empty), with its winter season (NULL between two seasons), the weather
-- (has_temperature: a weather row; tmin_c, tmax_c, vigilance), whether it was a cold night,
-- the most severe winter-plan level declared for the city or its département, whether the
-- programme's emergency shelter of the city was in service that night of the season and
-- whether one was open, whether it was a winter gap (terrain/definitions.sql), and the
-- city's shelter nights (has_shelter_data: a shelter row in the city; NULL counts without).
CREATE OR REPLACE TEMP MACRO winter_city_nights(first_day, last_day, cities) AS TABLE
    WITH places AS (
        SELECT DISTINCT city, departement FROM sites
        WHERE len(cities) = 0 OR city IN cities
    ),
    nights AS MATERIALIZED (
        SELECT c.city, CAST(t.night AS DATE) AS night, winter_season(CAST(t.night AS DATE)) AS season
        FROM (SELECT DISTINCT city FROM places) AS c,
             generate_series(first_day::DATE, last_day::DATE, INTERVAL 1 DAY) AS t(night)
    ),
    areas AS (  -- a plan is declared for a city or for its département
        SELECT city, 'departement' AS area_kind, departement AS area FROM places
        UNION
        SELECT city, 'city', city FROM places
    ),
    declared AS (
        SELECT n.city, n.night, max(p.level) AS level
        FROM areas AS a
        JOIN winter_plan AS p ON p.area_kind = a.area_kind AND p.area = a.area
        JOIN nights AS n ON n.city = a.city AND n.night BETWEEN p.starts AND p.ends
        GROUP BY n.city, n.night
    ),
    emergency_in_service AS (
        SELECT DISTINCT n.city, n.night
        FROM nights AS n
        JOIN sites AS s ON s.city = n.city AND s.site_type = 'emergency_shelter'
         AND n.season IS NOT NULL AND in_service(s.opened, s.closed, n.night)
    )
    SELECT
        n.city, n.night, n.season,
        w.day IS NOT NULL AS has_temperature, w.tmin_c, w.tmax_c, w.vigilance,
        cold_night(w.tmin_c, w.vigilance) AS cold_night,
        d.level AS plan_level,
        e.night IS NOT NULL AS emergency_shelter_this_season,
        coalesce(sh.emergency_shelter_open, false) AS emergency_shelter_open,
        winter_gap(n.night, w.tmin_c, w.vigilance, e.night IS NOT NULL, sh.emergency_shelter_open) AS winter_gap,
        sh.emergency_beds,
        sh.night IS NOT NULL AS has_shelter_data,
        sh.shelters_full, sh.beds_available, sh.beds_occupied, sh.turned_away
    FROM nights AS n
    LEFT JOIN weather_daily AS w ON w.city = n.city AND w.day = n.night
    LEFT JOIN declared AS d ON d.city = n.city AND d.night = n.night
    LEFT JOIN emergency_in_service AS e ON e.city = n.city AND e.night = n.night
    LEFT JOIN city_shelter_nights(first_day, last_day, cities) AS sh ON sh.city = n.city AND sh.night = n.night;

-- The nights of every winter season in the data of each city of `cities`, as
-- winter_city_nights gives them, counted up to `until` (NULL: the data's as-of date). A
-- season is in a city's data when a weather row, a shelter night or a consultation of the
-- city falls in it by then.
CREATE OR REPLACE TEMP MACRO winter_season_nights(until, cities) AS TABLE
    WITH as_of AS (
        SELECT least(data_as_of, coalesce(CAST(until AS DATE), data_as_of)) AS day FROM metadata
    ),
    dated AS (
        SELECT w.city, w.day FROM weather_daily AS w
        UNION
        SELECT s.city, n.night FROM shelter_nights AS n JOIN sites AS s USING (site_id)
        UNION
        SELECT s.city, c.consulted_on FROM (SELECT DISTINCT site_id, consulted_on FROM site_diagnoses_daily) AS c
        JOIN sites AS s USING (site_id)
    ),
    city_seasons AS (
        SELECT DISTINCT d.city, winter_season(d.day) AS season
        FROM dated AS d
        WHERE winter_season(d.day) IS NOT NULL
          AND d.day <= (SELECT day FROM as_of)
          AND (len(cities) = 0 OR d.city IN cities)
    )
    SELECT n.*
    FROM winter_city_nights((SELECT season_first_day(min(season)) FROM city_seasons), (SELECT day FROM as_of), cities) AS n
    JOIN city_seasons USING (city, season);

-- Each winter season's nights in the data (winter_season_nights) counted per season, and per
-- city when `per_city` (`city` NULL otherwise: a night then counts when it holds in at least
-- one of the cities, with the most severe vigilance and plan level of theirs): nights, nights
-- with a temperature, cold nights, the coldest minimum, nights at each vigilance colour and
-- declared plan level, whether the programme ran an emergency shelter, nights one was open,
-- cold nights without one (as the winter gap alert counts them).
CREATE OR REPLACE TEMP MACRO winter_seasons(until, cities, per_city) AS TABLE
    WITH nights AS (
        SELECT season, CASE WHEN per_city THEN city END AS city, night,
               bool_or(has_temperature) AS has_temperature,
               coalesce(bool_or(cold_night), false) AS cold_night,
               min(tmin_c) AS tmin_c,
               max(vigilance) AS vigilance,
               max(plan_level) AS plan_level,
               bool_or(emergency_shelter_this_season) AS emergency_shelter_this_season,
               bool_or(emergency_shelter_open) AS emergency_shelter_open,
               coalesce(bool_or(winter_gap), false) AS winter_gap
        FROM winter_season_nights(until, cities)
        GROUP BY ALL
    )
    SELECT
        season, city,
        count(*) AS nights,
        count(*) FILTER (WHERE has_temperature) AS nights_with_temperature,
        count(*) FILTER (WHERE cold_night) AS cold_nights,
        min(tmin_c) AS coldest_c,
        count(*) FILTER (WHERE vigilance = 'green') AS vigilance_green_nights,
        count(*) FILTER (WHERE vigilance = 'yellow') AS vigilance_yellow_nights,
        count(*) FILTER (WHERE vigilance = 'orange') AS vigilance_orange_nights,
        count(*) FILTER (WHERE vigilance = 'red') AS vigilance_red_nights,
        count(*) FILTER (WHERE plan_level = 'veille_saisonniere') AS plan_veille_saisonniere_nights,
        count(*) FILTER (WHERE plan_level = 'grand_froid') AS plan_grand_froid_nights,
        count(*) FILTER (WHERE plan_level = 'tres_grand_froid') AS plan_tres_grand_froid_nights,
        count(*) FILTER (WHERE plan_level = 'froid_extreme') AS plan_froid_extreme_nights,
        bool_or(emergency_shelter_this_season) AS has_emergency_shelter,
        count(*) FILTER (WHERE emergency_shelter_open) AS emergency_shelter_open_nights,
        count(*) FILTER (WHERE winter_gap) AS cold_nights_without_emergency_shelter
    FROM nights
    GROUP BY season, city;

-- --- the map ---------------------------------------------------------------------------------

-- Every site open at some point of each period, with its activity in the period (from
-- `first_day` to `last_day`): consultations; for mobile teams the people reached; for
-- shelters the bed-nights occupied and available and the people turned away; zeros where
-- nothing was recorded. `monthly`: one period per month (`period` its first day), else
-- the whole period (`period` NULL). Exact coordinates: programme managers only (the door).
CREATE OR REPLACE TEMP MACRO site_activity(first_day, last_day, monthly) AS TABLE
    WITH periods AS (
        SELECT NULL::DATE AS period, first_day::DATE AS period_start, last_day::DATE AS period_end
        WHERE NOT monthly
        UNION ALL
        SELECT CAST(t.month AS DATE), CAST(t.month AS DATE), CAST(t.month + INTERVAL 1 MONTH - INTERVAL 1 DAY AS DATE)
        FROM generate_series(date_trunc('month', first_day::DATE), last_day::DATE, INTERVAL 1 MONTH) AS t(month)
        WHERE monthly
    ),
    consulted AS (
        SELECT c.site_id, CASE WHEN monthly THEN date_trunc('month', c.consulted_on)::DATE END AS period,
               sum(c.consultations)::BIGINT AS consultations
        FROM site_diagnoses_daily AS c
        WHERE c.consulted_on BETWEEN first_day AND last_day
        GROUP BY ALL
    ),
    reached AS (
        SELECT o.team_id AS site_id, CASE WHEN monthly THEN date_trunc('month', o.visited_on)::DATE END AS period,
               sum(o.people_reached)::BIGINT AS people_reached
        FROM outreach AS o
        WHERE o.visited_on BETWEEN first_day AND last_day
        GROUP BY ALL
    ),
    sheltered AS (
        SELECT n.site_id, CASE WHEN monthly THEN date_trunc('month', n.night)::DATE END AS period,
               sum(n.beds_occupied)::BIGINT AS bed_nights_occupied,
               sum(n.beds_available)::BIGINT AS bed_nights_available,
               sum(n.turned_away)::BIGINT AS turned_away
        FROM shelter_nights AS n
        WHERE n.night BETWEEN first_day AND last_day
        GROUP BY ALL
    )
    SELECT
        p.period, s.site_id, s.name, s.city, s.commune_code, s.departement, s.site_type,
        s.bed_capacity, s.population_focus::VARCHAR AS population_focus, s.latitude, s.longitude,
        coalesce(c.consultations, 0) AS consultations,
        coalesce(r.people_reached, 0) AS people_reached,
        coalesce(n.bed_nights_occupied, 0) AS bed_nights_occupied,
        coalesce(n.bed_nights_available, 0) AS bed_nights_available,
        coalesce(n.turned_away, 0) AS turned_away,
        n.bed_nights_occupied / nullif(n.bed_nights_available, 0) AS occupancy_rate
    FROM periods AS p
    JOIN sites AS s ON s.opened <= p.period_end AND (s.closed IS NULL OR s.closed >= p.period_start)
    LEFT JOIN consulted AS c ON c.site_id = s.site_id AND c.period IS NOT DISTINCT FROM p.period
    LEFT JOIN reached AS r ON r.site_id = s.site_id AND r.period IS NOT DISTINCT FROM p.period
    LEFT JOIN sheltered AS n ON n.site_id = s.site_id AND n.period IS NOT DISTINCT FROM p.period;

-- --- outreach --------------------------------------------------------------------------------

-- The mobile teams' visits from `first_day` to `last_day` of the teams of `cities` and `sites`
-- (every one when empty), each with its team's city and name.
CREATE OR REPLACE TEMP MACRO outreach_in(first_day, last_day, cities, sites) AS TABLE
    SELECT o.*, s.city, s.name AS team_name
    FROM outreach AS o
    JOIN sites AS s ON s.site_id = o.team_id
    WHERE o.visited_on BETWEEN first_day AND last_day
      AND (len(cities) = 0 OR s.city IN cities)
      AND (len(sites) = 0 OR o.team_id IN sites);
