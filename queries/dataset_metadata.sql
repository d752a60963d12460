-- name: dataset_metadata
-- What the database holds: its name, whether it is synthetic, its "data as of" date and
-- the first day with any activity (the earliest a period filter may start).
-- params:
-- level: programme
-- grain: none
SELECT
    m.dataset_name,
    m.is_synthetic,
    m.data_as_of,
    m.schema_version,
    coalesce((SELECT min(opened) FROM sites), m.data_as_of) AS first_day
FROM metadata AS m
