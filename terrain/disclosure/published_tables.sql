-- The published sets of every audience (terrain/disclosure/publication.py), rebuilt whole with
-- each data version inside the writer's new file. A hidden cell has no value, only its status:
-- 'small' (1 to k - 1, shown "< k") or 'protect' (hidden so that a small one cannot be worked
-- out, shown "[c]"). Zeros are shown.
--
-- published_grid holds every whole month; what the donors and the public read is the view
-- published_cells, which stops at the last approved month (publication_cutoff). Each month is
-- suppressed on its own (no relation crosses months), so cutting the months after the cutoff
-- leaves every earlier cell as it is: an approval or a reopening changes no cell, only how far
-- the readers see, and needs no rebuild.
CREATE OR REPLACE TABLE published_grid (
    audience   VARCHAR NOT NULL CHECK (audience IN ('donor', 'public', 'advocacy')),
    measure    VARCHAR NOT NULL,
    breakdown  VARCHAR NOT NULL,
    category   VARCHAR NOT NULL,
    city       VARCHAR NOT NULL,   -- '*': all cities together
    month      DATE NOT NULL,
    value      BIGINT,
    status     VARCHAR NOT NULL CHECK (status IN ('shown', 'small', 'protect')),
    k          INTEGER NOT NULL,
    CHECK ((status = 'shown') = (value IS NOT NULL))
);

CREATE OR REPLACE TABLE published_grid_sets (
    audience      VARCHAR PRIMARY KEY,
    k             INTEGER NOT NULL,
    exposed       BIGINT NOT NULL   -- hidden cells the relations pin whatever is hidden (0 expected)
);

-- The months to approve: each whole month of the grid with each city that had a site open in
-- it, or that has figures of the programme's activity in it whatever its sites' dates say (a
-- sites import may move them after the rows came in), and its approval if it has one
-- (terrain/approvals.py). The donors' cells tell the activity: their marks are distinct, so a
-- hidden cell holds at least 1; the weather's cells count no activity.
CREATE OR REPLACE VIEW months_to_approve AS
WITH months AS (
    SELECT DISTINCT month FROM published_grid
), expected AS (
    SELECT m.month, s.city
    FROM months AS m
    JOIN sites AS s ON s.opened <= last_day(m.month) AND (s.closed IS NULL OR s.closed >= m.month)
    UNION
    SELECT month, city
    FROM published_grid
    WHERE audience = 'donor' AND city <> '*' AND measure NOT IN ('cold_nights', 'cold_nights_without_emergency_shelter')
      AND (value > 0 OR status <> 'shown')
)
SELECT e.city, e.month, a.approved_by, a.approved_at
FROM expected AS e
LEFT JOIN month_approvals AS a ON a.city = e.city AND a.month = e.month;

-- The last month the donors and the public see: the month before the first one that waits for
-- an approval. NULL: no month is approved yet. The programme's own set ('advocacy', read in
-- the app by its staff) is not cut.
CREATE OR REPLACE VIEW publication_cutoff AS
SELECT max(g.month) AS approved_until
FROM (SELECT DISTINCT month FROM published_grid) AS g
WHERE g.month < coalesce((SELECT min(month) FROM months_to_approve WHERE approved_by IS NULL), DATE '9999-12-01');

CREATE OR REPLACE VIEW published_cells AS
SELECT g.*
FROM published_grid AS g
WHERE g.audience NOT IN ('donor', 'public')
   OR g.month <= (SELECT approved_until FROM publication_cutoff);

CREATE OR REPLACE VIEW published_sets AS
SELECT s.audience, s.k, min(c.month) AS first_month, max(c.month) AS last_month, count(c.month) AS cells,
       count(c.month) FILTER (WHERE c.status <> 'shown') AS hidden, s.exposed
FROM published_grid_sets AS s
LEFT JOIN published_cells AS c USING (audience)
GROUP BY s.audience, s.k, s.exposed;
