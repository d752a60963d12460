-- name: cities_with_shelters
-- The cities where the programme has ever run a shelter or an emergency shelter, so that the
-- Occupancy page can say a chosen city has none rather than that it has no data.
-- params:
-- level: city
-- grain: none
SELECT DISTINCT s.city
FROM sites AS s
WHERE s.site_type IN ('shelter', 'emergency_shelter')
ORDER BY s.city
