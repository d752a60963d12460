-- name: sites_with_areas
-- Every site's city, commune, département, type, beds and open dates, without coordinates:
-- a brief for publication and the map's areas name a camp or a small shelter by its commune,
-- or by its département when the commune holds no other such site
-- (terrain.disclosure.area_of_sites); an import checks its rows against the sites it may
-- refer to (no activity outside the open dates, overflow above the beds, the weather and
-- winter plan areas of the city and département).
-- params:
-- level: site
-- grain: none
SELECT
    s.site_id,
    s.city,
    s.commune_code,
    s.departement,
    s.site_type::VARCHAR AS site_type,
    s.bed_capacity,
    s.opened,
    s.closed
FROM sites AS s
ORDER BY s.site_id
