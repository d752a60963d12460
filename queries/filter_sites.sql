-- name: filter_sites
-- Every site's city and open dates, so that the Site filter lists only the sites of the
-- chosen cities that were open at some time in the chosen period.
-- params:
-- level: site
-- grain: none
SELECT s.site_id, s.city, s.opened, s.closed
FROM sites AS s
ORDER BY s.site_id
