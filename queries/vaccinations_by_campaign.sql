-- name: vaccinations_by_campaign
-- Vaccination campaigns running during the period (in the chosen cities, or anywhere), with
-- every dose of the campaign and its coverage as a range. The target population of people
-- on the move is uncertain, so it is stored as a low and a high estimate: coverage is at
-- least doses / population_high and at most doses / population_low. A campaign's doses are
-- counted whole, whatever the period and city filters: its coverage is a campaign figure.
-- params: start, end, cities
-- level: site
-- grain: none
-- counts: doses
-- rates: coverage_low = doses / population_high, coverage_high = doses / population_low
WITH campaign_doses AS (
    SELECT
        v.campaign_id,
        sum(v.doses)::BIGINT AS doses,
        string_agg(DISTINCT s.city, ', ' ORDER BY s.city) AS cities,
        bool_or(len($cities) = 0 OR s.city IN $cities) AS in_chosen_cities
    FROM vaccinations AS v
    JOIN sites AS s USING (site_id)
    WHERE v.campaign_id IS NOT NULL
    GROUP BY v.campaign_id
)
SELECT
    k.campaign_id,
    k.antigen,
    k.starts,
    k.ends,
    k.target_ages,
    coalesce(d.cities, '') AS cities,
    coalesce(d.doses, 0) AS doses,
    k.population_low,
    k.population_high,
    coalesce(d.doses, 0) / k.population_high AS coverage_low,
    coalesce(d.doses, 0) / k.population_low AS coverage_high
FROM vaccination_campaigns AS k
LEFT JOIN campaign_doses AS d USING (campaign_id)
WHERE k.starts <= $end AND k.ends >= $start
  AND (len($cities) = 0 OR coalesce(d.in_chosen_cities, FALSE))
ORDER BY k.starts, k.campaign_id
