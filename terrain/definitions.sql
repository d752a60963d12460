-- The programme's vocabulary as SQL macros: every query that speaks of the winter season, a
-- cold night, a minor or a night at capacity calls these, and none writes its own.
-- terrain/definitions.py installs them on each connection (temporary macros, as the
-- database file is opened read-only) after setting the variables they read: the season's
-- dates from terrain/definitions.py, the cold night's threshold and vigilance colours from
-- config/definitions.toml. The Glossary page gives each definition in words.

-- The winter season a day belongs to, named by the year it starts (1 November 2023 to 31
-- March 2024 is season 2023); NULL for a day between two seasons.
CREATE OR REPLACE TEMP MACRO winter_season(day) AS
    CASE
        WHEN (month(day) > getvariable('terrain_season_first_month')
              OR (month(day) = getvariable('terrain_season_first_month')
                  AND day(day) >= getvariable('terrain_season_first_day')))
            THEN year(day)
        WHEN (month(day) < getvariable('terrain_season_last_month')
              OR (month(day) = getvariable('terrain_season_last_month')
                  AND day(day) <= getvariable('terrain_season_last_day')))
            THEN year(day) - 1
    END;

-- First and last day of the season that starts in `season`.
CREATE OR REPLACE TEMP MACRO season_first_day(season) AS
    make_date(season, getvariable('terrain_season_first_month'), getvariable('terrain_season_first_day'));
CREATE OR REPLACE TEMP MACRO season_last_day(season) AS
    make_date(season + 1, getvariable('terrain_season_last_month'), getvariable('terrain_season_last_day'));

-- A cold night: a minimum at or below the threshold, or a cold vigilance of one of the
-- colours (Météo-France's "grand froid" vigilance). A night with no weather is not cold.
CREATE OR REPLACE TEMP MACRO cold_night(tmin_c, vigilance) AS
    coalesce(tmin_c <= getvariable('terrain_cold_tmin_at_most'), false)
    OR coalesce(list_contains(getvariable('terrain_cold_vigilance'), vigilance::VARCHAR), false);

-- A minor: an age band under 18, or recorded as an unaccompanied minor (whose age may be
-- contested or unknown).
CREATE OR REPLACE TEMP MACRO is_minor(age_band, unaccompanied_minor) AS
    list_contains(getvariable('terrain_minor_age_bands'), age_band::VARCHAR)
    OR coalesce(unaccompanied_minor::VARCHAR = 'yes', false);

-- An unaccompanied minor: recorded as such (the minors surge alert counts these).
CREATE OR REPLACE TEMP MACRO is_unaccompanied_minor(unaccompanied_minor) AS
    coalesce(unaccompanied_minor::VARCHAR = 'yes', false);

-- A girl: a minor recorded as female.
CREATE OR REPLACE TEMP MACRO is_girl(sex, age_band, unaccompanied_minor) AS
    sex::VARCHAR = 'F' AND is_minor(age_band, unaccompanied_minor);

-- A shelter's night at capacity: every bed available taken (mattresses on the floor can
-- take the beds occupied above the beds available). A closed night is not at capacity.
CREATE OR REPLACE TEMP MACRO at_capacity(beds_occupied, beds_available) AS
    coalesce(beds_available > 0 AND beds_occupied >= beds_available, false);

-- A site is in service on a night when it has opened by that night and not closed for good
-- (an emergency shelter in service need not have its doors open that night).
CREATE OR REPLACE TEMP MACRO in_service(opened, closed, night) AS
    opened <= night AND (closed IS NULL OR closed >= night);

-- A winter gap: a cold night of the season in a city where the programme's emergency shelter
-- is in service, with no emergency shelter open that night. A night before the programme
-- had one is not a gap of the programme.
CREATE OR REPLACE TEMP MACRO winter_gap(night, tmin_c, vigilance, shelter_in_service, shelter_open) AS
    winter_season(night) IS NOT NULL AND cold_night(tmin_c, vigilance)
    AND coalesce(shelter_in_service, false) AND NOT coalesce(shelter_open, false);
