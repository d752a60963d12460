-- The demo's figures that docs/demo-data.md sets beside the public ones, read by
-- terrain/demo_calibration.py. One named query per header (`-- name:`); the figures for a
-- public one take the site and the period of that figure ($site_id, $first, $last).

-- name: site_years
-- Per site and calendar year: consultations, the medical ones, first consultations of a
-- person at the site ("new"), the days with at least one consultation (a mobile team's
-- rounds, a centre's opening days) and consultations per such day.
SELECT
    site_id,
    year(consulted_on) AS year,
    count(*) AS consultations,
    count(*) FILTER (WHERE activity = 'medical') AS medical,
    count(*) FILTER (WHERE visit = 'new') AS new,
    count(DISTINCT consulted_on) AS days_open,
    round(count(*) / count(DISTINCT consulted_on), 1) AS per_day_open
FROM consultations
GROUP BY ALL
ORDER BY site_id, year;

-- name: consultations
SELECT count(*) FROM consultations
WHERE site_id = $site_id AND consulted_on BETWEEN $first AND $last;

-- name: medical_consultations
SELECT count(*) FROM consultations
WHERE site_id = $site_id AND consulted_on BETWEEN $first AND $last AND activity = 'medical';

-- name: new_consultations
SELECT count(*) FROM consultations
WHERE site_id = $site_id AND consulted_on BETWEEN $first AND $last AND visit = 'new';

-- name: consultations_per_day_open
SELECT round(count(*) / count(DISTINCT consulted_on), 1) FROM consultations
WHERE site_id = $site_id AND consulted_on BETWEEN $first AND $last;

-- name: free_beds_per_night
-- Beds left free, on average over the nights (a night over capacity leaves none).
SELECT round(avg(greatest(beds_available - beds_occupied, 0)), 1) FROM shelter_nights
WHERE site_id = $site_id AND night BETWEEN $first AND $last;

-- name: vaccinated
-- People vaccinated in a campaign at the site (one dose each in these campaigns).
SELECT coalesce(sum(doses), 0) FROM vaccinations
WHERE site_id = $site_id AND vaccinated_on BETWEEN $first AND $last AND campaign_id IS NOT NULL;
