-- name: occupancy_winter_plan
-- The winter-plan levels declared by the préfecture (city or département) over each city
-- with a shelter, cut to the period: context for the occupancy charts. Declared, never
-- derived from temperature.
-- params: start, end, cities
-- level: city
-- grain: day
SELECT DISTINCT
    s.city,
    w.level::VARCHAR AS level,
    greatest(w.starts, $start) AS starts,
    least(w.ends, $end) AS ends
FROM winter_plan AS w
JOIN sites AS s
  ON (w.area_kind = 'departement' AND w.area = s.departement)
  OR (w.area_kind = 'city' AND w.area = s.city)
WHERE s.site_type IN ('shelter', 'emergency_shelter')
  AND w.starts <= $end
  AND w.ends >= $start
  AND (len($cities) = 0 OR s.city IN $cities)
ORDER BY s.city, starts, level
