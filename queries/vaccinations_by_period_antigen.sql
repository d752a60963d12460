-- name: vaccinations_by_period_antigen
-- Vaccine doses given per period (week or month), city and antigen, in or outside a campaign.
-- params: start, end, grain, cities
-- level: city
-- grain: $grain
-- published: doses by antigen
-- counts: doses
-- lines: period, city; city, antigen
SELECT
    date_trunc($grain, v.vaccinated_on)::DATE AS period,
    s.city,
    v.antigen,
    sum(v.doses)::BIGINT AS doses
FROM vaccinations AS v
JOIN sites AS s USING (site_id)
WHERE v.vaccinated_on BETWEEN $start AND $end
  AND (len($cities) = 0 OR s.city IN $cities)
GROUP BY period, s.city, v.antigen
ORDER BY period, s.city, v.antigen
