-- name: consultations_sites
-- The sites where consultations were ever held, for the Consultations page's site filter.
-- Counts from the summary site_diagnoses_daily (terrain/summaries.sql), not the consultations rows.
-- params:
-- level: site
-- grain: none
SELECT s.site_id, s.name AS site_name, s.city
FROM sites AS s
WHERE s.site_id IN (SELECT DISTINCT site_id FROM site_diagnoses_daily)
ORDER BY s.city, s.name
