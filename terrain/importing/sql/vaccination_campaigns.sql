-- name: duplicates_in_file
-- Rows whose key an earlier row of the file already holds, each with that first row.
SELECT i.row_number, d.first_row FROM incoming AS i
JOIN (SELECT campaign_id, min(row_number) AS first_row FROM incoming GROUP BY ALL HAVING count(*) > 1) AS d
    USING (campaign_id)
WHERE i.row_number <> d.first_row
ORDER BY i.row_number;

-- name: already_present
SELECT i.row_number FROM incoming AS i
WHERE EXISTS (SELECT 1 FROM vaccination_campaigns AS t WHERE t.campaign_id = i.campaign_id)
ORDER BY i.row_number;

-- name: replaced_rows
SELECT count(*) FROM vaccination_campaigns AS t
WHERE EXISTS (SELECT 1 FROM incoming AS i WHERE t.campaign_id = i.campaign_id);

-- name: replace_existing
-- Vaccinations refer to a campaign: its row is updated, never deleted.
UPDATE vaccination_campaigns SET
    antigen = i.antigen, starts = i.starts, ends = i.ends, target_ages = i.target_ages,
    target_age_bands = i.target_age_bands::age_band[],
    population_low = i.population_low, population_high = i.population_high
FROM incoming AS i
WHERE vaccination_campaigns.campaign_id = i.campaign_id;

-- name: insert
INSERT INTO vaccination_campaigns BY NAME
SELECT * EXCLUDE (row_number) FROM incoming AS i
WHERE NOT EXISTS (SELECT 1 FROM vaccination_campaigns AS t WHERE t.campaign_id = i.campaign_id);
