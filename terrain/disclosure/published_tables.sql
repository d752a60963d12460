-- The published sets of every audience (terrain/disclosure/publication.py), rebuilt whole with
-- each data version inside the writer's new file. A hidden cell has no value, only its status:
-- 'small' (1 to k - 1, shown "< k"), 'small_or_zero' (0 to k - 1, shown "< k": every cell of
-- the breakdowns of a place whose total is small, zeros included) or 'protect' (hidden so that
-- a small one cannot be worked out, shown "[c]"). Other zeros are shown.
--
-- published_grid holds every whole month; what the donors and the public read is the view
-- published_cells, which stops at the last approved month (publication_cutoff). Each month is
-- suppressed on its own (no relation crosses months), so cutting the months after the cutoff
-- leaves every earlier cell as it is: an approval or a reopening changes no cell, only how far
-- the readers see, and needs no rebuild.
--
-- Two small tables, built with the grid, say per month what the views need (how many cells,
-- which cities did something), so that the cutoff every read of a published figure asks for
-- is worked out over a few hundred rows, not over the whole grid.
CREATE OR REPLACE TABLE published_grid (
    audience   VARCHAR NOT NULL CHECK (audience IN ('donor', 'public', 'advocacy')),
    measure    VARCHAR NOT NULL,
    breakdown  VARCHAR NOT NULL,
    category   VARCHAR NOT NULL,
    city       VARCHAR NOT NULL,   -- '*': all cities together
    month      DATE NOT NULL,
    value      BIGINT,
    status     VARCHAR NOT NULL CHECK (status IN ('shown', 'small', 'small_or_zero', 'protect')),
    k          INTEGER NOT NULL,
    CHECK ((status = 'shown') = (value IS NOT NULL))
);

CREATE OR REPLACE TABLE published_grid_sets (
    audience      VARCHAR PRIMARY KEY,
    k             INTEGER NOT NULL,
    exposed       BIGINT NOT NULL   -- hidden cells the relations pin whatever is hidden (0 expected)
);

-- Per audience and month of the grid: its cells, and how many of them are hidden.
CREATE OR REPLACE TABLE published_grid_months (
    audience   VARCHAR NOT NULL,
    month      DATE NOT NULL,
    cells      BIGINT NOT NULL,
    hidden     BIGINT NOT NULL,
    PRIMARY KEY (audience, month)
);

-- The months to approve: each whole month of the grid with each city that had a site open in
-- it, or that has figures of the programme's activity in it whatever its sites' dates say (a
-- sites import may move them after the rows came in). The donors' cells tell the activity:
-- their marks are distinct, so a hidden cell holds at least 1 (a cell marked small or zero may
-- be 0, but its place's total is small, so at least 1, and tells the same city and month); the
-- weather's cells count no activity. Sites and rows change only with a new data version, which
-- rebuilds this table.
CREATE OR REPLACE TABLE published_grid_cities (
    city       VARCHAR NOT NULL,
    month      DATE NOT NULL,
    PRIMARY KEY (city, month)
);

-- Each block's statuses (a family of measures in a month, for one threshold), by what they are
-- a function of (terrain/disclosure/publication.py, block_digest): the block's cells in their
-- order, their values, the threshold and the code that suppressed them. The next data
-- version's build takes a block it finds here as it is instead of solving it again. `statuses`
-- holds one digit per cell, in the block's order (0 shown, 1 small, 2 protect, 4 small or zero).
CREATE OR REPLACE TABLE published_grid_blocks (
    digest     VARCHAR PRIMARY KEY,
    family     VARCHAR NOT NULL,
    k          INTEGER NOT NULL,
    statuses   VARCHAR NOT NULL,
    exposed    BIGINT NOT NULL
);

-- The months to approve (published_grid_cities), each with its approval if it has one
-- (terrain/approvals.py).
CREATE OR REPLACE VIEW months_to_approve AS
SELECT e.city, e.month, a.approved_by, a.approved_at
FROM published_grid_cities AS e
LEFT JOIN month_approvals AS a ON a.city = e.city AND a.month = e.month;

-- The last month the donors and the public see: the month before the first one that waits for
-- an approval. NULL: no month is approved yet, or the donors' or the public's set has a hidden
-- cell its build could not protect (published_grid_sets.exposed), so neither publishes anything.
-- The programme's own set ('advocacy', read in the app by its staff) is not cut.
CREATE OR REPLACE VIEW publication_cutoff AS
SELECT max(g.month) AS approved_until
FROM (SELECT DISTINCT month FROM published_grid_months) AS g
WHERE g.month < coalesce((SELECT min(month) FROM months_to_approve WHERE approved_by IS NULL), DATE '9999-12-01')
  AND NOT EXISTS (SELECT 1 FROM published_grid_sets WHERE audience IN ('donor', 'public') AND exposed > 0);

CREATE OR REPLACE VIEW published_cells AS
SELECT g.*
FROM published_grid AS g
WHERE g.audience NOT IN ('donor', 'public')
   OR g.month <= (SELECT approved_until FROM publication_cutoff);

-- Each audience's set as published_cells holds it: its months, cells and hidden cells.
CREATE OR REPLACE VIEW published_sets AS
SELECT s.audience, s.k, min(m.month) AS first_month, max(m.month) AS last_month,
       CAST(coalesce(sum(m.cells), 0) AS BIGINT) AS cells, CAST(coalesce(sum(m.hidden), 0) AS BIGINT) AS hidden,
       s.exposed
FROM published_grid_sets AS s
LEFT JOIN published_grid_months AS m
       ON m.audience = s.audience
      AND (s.audience NOT IN ('donor', 'public') OR m.month <= (SELECT approved_until FROM publication_cutoff))
GROUP BY s.audience, s.k, s.exposed;
