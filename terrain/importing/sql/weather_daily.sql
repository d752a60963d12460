-- name: already_present
SELECT i.row_number FROM incoming AS i
WHERE EXISTS (SELECT 1 FROM weather_daily AS t WHERE t.city = i.city AND t.day = i.day)
ORDER BY i.row_number;

-- name: replaced_rows
SELECT count(*) FROM weather_daily AS t
WHERE EXISTS (SELECT 1 FROM incoming AS i WHERE t.city = i.city AND t.day = i.day);

-- name: replace_existing
DELETE FROM weather_daily AS t
WHERE EXISTS (SELECT 1 FROM incoming AS i WHERE t.city = i.city AND t.day = i.day);

-- name: insert
INSERT INTO weather_daily BY NAME SELECT * EXCLUDE (row_number) FROM incoming;
