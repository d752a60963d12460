-- The published sets of every audience (terrain/disclosure/publication.py), rebuilt whole with
-- each data version inside the writer's new file. A hidden cell has no value, only its status:
-- 'small' (1 to k - 1, shown "< k") or 'protect' (hidden so that a small one cannot be worked
-- out, shown "[c]"). Zeros are shown.
CREATE OR REPLACE TABLE published_cells (
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

CREATE OR REPLACE TABLE published_sets (
    audience      VARCHAR PRIMARY KEY,
    k             INTEGER NOT NULL,
    first_month   DATE,
    last_month    DATE,
    cells         BIGINT NOT NULL,
    hidden        BIGINT NOT NULL,
    exposed       BIGINT NOT NULL   -- hidden cells the relations pin whatever is hidden (0 expected)
);
