-- name: consultations_sites
-- The sites where consultations were ever held, for the Consultations page's site filter.
-- params:
-- level: site
-- grain: none
SELECT s.site_id, s.name AS site_name, s.city
FROM sites AS s
WHERE s.site_id IN (SELECT DISTINCT site_id FROM consultations)
ORDER BY s.city, s.name
