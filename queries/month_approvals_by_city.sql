-- name: month_approvals_by_city
-- Each whole month with each city that had a site open in it: approved (by whom, when) or
-- waiting, and whether donors and the public see it yet (terrain/approvals.py). Newest first.
-- params:
-- level: city
-- grain: month
SELECT m.city, m.month, m.approved_by, m.approved_at, coalesce(m.month <= c.approved_until, false) AS published
FROM months_to_approve AS m
CROSS JOIN publication_cutoff AS c
ORDER BY m.month DESC, m.city
