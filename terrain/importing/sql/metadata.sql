-- name: create_real
-- The metadata row of a database that is new (no file at the path yet, or the synthetic
-- demo set aside): real data, dated by the import.
INSERT INTO metadata VALUES (1, 'Terrain', false, $today, $schema_version, $now);

-- name: after_import
-- After an import: the data are "as of" the latest day of activity or weather in the
-- database (an import of sites alone leaves the date as it was). is_synthetic is left alone:
-- real rows never enter a synthetic database (see terrain/imports.py). The file is rewritten
-- whole with this version's summary tables, so it is in this version's layout.
UPDATE metadata SET
    schema_version = $schema_version,
    data_as_of = coalesce((
        SELECT max(latest) FROM (
            SELECT max(night) AS latest FROM shelter_nights
            UNION ALL SELECT max(consulted_on) FROM consultations
            UNION ALL SELECT max(visited_on) FROM outreach
            UNION ALL SELECT max(vaccinated_on) FROM vaccinations
            UNION ALL SELECT max(day) FROM weather_daily)), data_as_of);

-- name: data_as_of
SELECT data_as_of FROM metadata;
