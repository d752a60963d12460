-- name: vaccinations_by_campaign
-- Vaccination campaigns running during the period (in the chosen cities, or anywhere), with
-- their doses and coverage as a range. A campaign gives one dose per person, so its doses in
-- its target age bands (vaccination_campaigns.target_age_bands) are the people of the target
-- ages it vaccinated; doses given outside those bands, and doses of unknown age, are counted
-- beside the coverage, never in it. The target population of people on the move is uncertain,
-- so it is stored as a low and a high estimate: coverage is at least doses_in_target /
-- population_high and at most doses_in_target / population_low. A high end above 1 (the low
-- estimate below the people vaccinated) is shown capped at 100 % with that reason
-- (terrain/charts/outreach.py), never as a figure above 100 %. A campaign's doses are
-- counted whole, whatever the period and city filters: its coverage is a campaign figure.
-- No total of the doses: it is the three counts added up, and counts tied by a sum would give
-- a hidden one back (the door suppresses each count column alone).
-- params: start, end, cities
-- level: site
-- grain: none
-- counts: doses_in_target, doses_outside_target, doses_unknown_age
-- rates: coverage_low = doses_in_target / population_high, coverage_high = doses_in_target / population_low
WITH campaign_doses AS (
    SELECT
        v.campaign_id,
        coalesce(sum(v.doses) FILTER (WHERE list_contains(k.target_age_bands, v.age_band)), 0)::BIGINT
            AS doses_in_target,
        coalesce(sum(v.doses) FILTER (WHERE v.age_band <> 'unknown'
                                        AND NOT list_contains(k.target_age_bands, v.age_band)), 0)::BIGINT
            AS doses_outside_target,
        coalesce(sum(v.doses) FILTER (WHERE v.age_band = 'unknown'), 0)::BIGINT AS doses_unknown_age,
        string_agg(DISTINCT s.city, ', ' ORDER BY s.city) AS cities,
        bool_or(len($cities) = 0 OR s.city IN $cities) AS in_chosen_cities
    FROM vaccinations AS v
    JOIN vaccination_campaigns AS k USING (campaign_id)
    JOIN sites AS s USING (site_id)
    GROUP BY v.campaign_id
)
SELECT
    k.campaign_id,
    k.antigen,
    k.starts,
    k.ends,
    k.target_ages,
    k.target_age_bands::VARCHAR[] AS target_age_bands,
    coalesce(d.cities, '') AS cities,
    coalesce(d.doses_in_target, 0) AS doses_in_target,
    coalesce(d.doses_outside_target, 0) AS doses_outside_target,
    coalesce(d.doses_unknown_age, 0) AS doses_unknown_age,
    k.population_low,
    k.population_high,
    coalesce(d.doses_in_target, 0) / k.population_high AS coverage_low,
    coalesce(d.doses_in_target, 0) / k.population_low AS coverage_high
FROM vaccination_campaigns AS k
LEFT JOIN campaign_doses AS d USING (campaign_id)
WHERE k.starts <= $end AND k.ends >= $start
  AND (len($cities) = 0 OR coalesce(d.in_chosen_cities, FALSE))
ORDER BY k.starts, k.campaign_id
