-- name: consultations_by_city_visit_referral
-- Consultations in a period per city, visit (new or follow-up) and referral (yes or no).
-- City level, the donors' view: no site, age, sex or activity filter, since the difference
-- of two filtered results could uncover a hidden count.
-- Counts from the summary consultations_daily_visit (terrain/summaries.sql), not the consultations rows.
-- params: start, end, cities
-- level: city
-- grain: none
-- published: consultations by visit_referred
-- counts: consultations
-- lines: city, visit; city, referred; city
SELECT c.city, c.visit::VARCHAR AS visit, CASE WHEN c.referred THEN 'yes' ELSE 'no' END AS referred,
       sum(c.consultations)::BIGINT AS consultations
FROM consultations_in('consultations_daily_visit', $start, $end, $cities) AS c
GROUP BY c.city, c.visit, c.referred
ORDER BY c.city, c.visit, c.referred DESC
