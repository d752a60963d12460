-- name: brief_sites
-- Every site's commune, département, type and beds, without coordinates: a brief for
-- publication names a camp or a small shelter by its commune, or by its département when
-- the commune holds no other such site (terrain.disclosure.area_of_sites).
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
