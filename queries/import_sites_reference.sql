-- name: import_sites_reference
-- The sites an import may refer to, with what its checks need: opening and closing dates
-- (no activity outside them), bed capacity (overflow warnings), city and département
-- (weather and winter plan areas). No coordinates.
-- params:
-- level: site
-- grain: none
SELECT
    site_id,
    city,
    departement,
    site_type::VARCHAR AS site_type,
    bed_capacity,
    opened,
    closed
FROM sites
ORDER BY site_id
