-- name: published_sets_withheld
-- The published sets that publish nothing because their build left hidden cells it could not
-- protect (terrain/disclosure/publication.py; expected never), with how many: what the
-- Approvals page tells the programme managers instead of the months published.
-- params:
-- level: programme
-- grain: none
SELECT audience, exposed
FROM published_grid_sets
WHERE exposed > 0 AND audience IN ('donor', 'public')
ORDER BY audience
