-- name: duplicates_in_file
-- Rows whose key an earlier row of the file already holds, each with that first row.
SELECT i.row_number, d.first_row FROM incoming AS i
JOIN (SELECT site_id, min(row_number) AS first_row FROM incoming GROUP BY ALL HAVING count(*) > 1) AS d
    USING (site_id)
WHERE i.row_number <> d.first_row
ORDER BY i.row_number;

-- name: already_present
SELECT i.row_number FROM incoming AS i
WHERE EXISTS (SELECT 1 FROM sites AS t WHERE t.site_id = i.site_id)
ORDER BY i.row_number;

-- name: replaced_rows
SELECT count(*) FROM sites AS t WHERE EXISTS (SELECT 1 FROM incoming AS i WHERE t.site_id = i.site_id);

-- name: replace_existing
-- Nights, consultations and visits refer to a site: its row is updated, never deleted.
UPDATE sites SET
    name = i.name, city = i.city, commune_code = i.commune_code, departement = i.departement,
    site_type = i.site_type, latitude = i.latitude, longitude = i.longitude,
    bed_capacity = i.bed_capacity, population_focus = i.population_focus,
    opened = i.opened, closed = i.closed
FROM incoming AS i
WHERE sites.site_id = i.site_id;

-- name: insert
INSERT INTO sites BY NAME
SELECT * EXCLUDE (row_number) FROM incoming AS i
WHERE NOT EXISTS (SELECT 1 FROM sites AS t WHERE t.site_id = i.site_id);

-- name: approved_months
-- The file's sites whose city or kind changes while they have activity in an approved month (of
-- either city), and the emergency shelters whose days in service change in an approved month of
-- their city (a cold night with one in service and none open is a winter gap, a published
-- figure) (terrain/approvals.py): refused until the month is reopened, since donors and the
-- public may already have seen it.
WITH changed AS (
    SELECT i.row_number, i.site_id, t.city AS old_city, i.city AS new_city
    FROM incoming AS i
    JOIN sites AS t USING (site_id)
    WHERE t.city <> i.city OR t.site_type::VARCHAR <> i.site_type::VARCHAR
), active AS (
    SELECT site_id, date_trunc('month', night) AS month FROM shelter_nights
    WHERE site_id IN (SELECT site_id FROM changed)
    UNION SELECT site_id, date_trunc('month', consulted_on) FROM consultations
    WHERE site_id IN (SELECT site_id FROM changed)
    UNION SELECT team_id, date_trunc('month', visited_on) FROM outreach
    WHERE team_id IN (SELECT site_id FROM changed)
    UNION SELECT site_id, date_trunc('month', vaccinated_on) FROM vaccinations
    WHERE site_id IN (SELECT site_id FROM changed)
), shelters AS (   -- an emergency shelter before or after the file, with its days in service
    SELECT i.row_number, t.city AS old_city, i.city AS new_city,
           t.site_type::VARCHAR <> i.site_type::VARCHAR OR t.city <> i.city AS moved,
           t.opened AS old_opened, coalesce(t.closed, DATE '9999-12-31') AS old_closed,
           i.opened AS new_opened, coalesce(i.closed, DATE '9999-12-31') AS new_closed
    FROM incoming AS i
    LEFT JOIN sites AS t USING (site_id)
    WHERE 'emergency_shelter' IN (t.site_type::VARCHAR, i.site_type::VARCHAR)
), in_service_changed AS (   -- the days that are in service before the file or after it, not both
    SELECT row_number, new_city AS city, new_opened AS first_day, new_closed AS last_day FROM shelters
    WHERE old_city IS NULL
    UNION ALL
    SELECT row_number, unnest([old_city, new_city]), least(old_opened, new_opened), greatest(old_closed, new_closed)
    FROM shelters WHERE moved
    UNION ALL
    SELECT row_number, new_city, least(old_opened, new_opened), greatest(old_opened, new_opened) - 1
    FROM shelters WHERE NOT moved AND old_opened <> new_opened
    UNION ALL
    SELECT row_number, new_city, least(old_closed, new_closed) + 1, greatest(old_closed, new_closed)
    FROM shelters WHERE NOT moved AND old_closed <> new_closed
), touched AS (
    SELECT c.row_number, a.city, a.month
    FROM changed AS c
    JOIN active AS v USING (site_id)
    JOIN month_approvals AS a ON a.month = v.month AND a.city IN (c.old_city, c.new_city)
    UNION
    SELECT d.row_number, a.city, a.month
    FROM in_service_changed AS d
    JOIN month_approvals AS a ON a.city = d.city AND a.month <= d.last_day AND last_day(a.month) >= d.first_day
)
SELECT row_number, string_agg(DISTINCT city, ', ' ORDER BY city) AS city,
       string_agg(DISTINCT strftime(month, '%Y-%m'), ', ' ORDER BY strftime(month, '%Y-%m')) AS month
FROM touched
GROUP BY row_number
ORDER BY row_number;
