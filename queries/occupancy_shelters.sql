-- name: occupancy_shelters
-- The shelters and emergency shelters, for the site filter and the chart labels.
-- params:
-- level: site
-- grain: none
SELECT
    s.site_id,
    s.name AS site_name,
    s.city,
    s.site_type::VARCHAR AS site_type,
    s.bed_capacity,
    s.population_focus::VARCHAR AS population_focus
FROM sites AS s
WHERE s.site_type IN ('shelter', 'emergency_shelter')
ORDER BY s.city, s.site_type, s.name
