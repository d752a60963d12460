-- Summary tables: consultations counted per day and site, by the categories the pages filter
-- and group by. Rebuilt whole from the consultations table by terrain/summaries.py
-- (`refresh`) whenever it changes, inside the writer's new database file, so the app, which
-- opens the file read-only, always reads summaries that match the rows.
--
-- Why: the consultations table grows by one row per consultation (100 million is about six
-- years of the whole organisation's outpatient consultations); these grow with days × sites
-- × the category combinations seen. A count over a period is a sum over a summary,
-- `sum(consultations)`, with the same filters; every row is one whole day, so any period of
-- whole days is answered exactly. Measured by `python -m terrain bench` and reported in
-- docs/scaling.md (rows: 10M → 100M consultations): consultations_daily 0.84M → 1.6M,
-- consultations_daily_diagnosis 2.5M → 6.4M, consultations_daily_coverage 1.8M → 4.3M,
-- consultations_daily_visit 1.7M → 4.1M, site_diagnoses_daily 0.2M → 0.3M.
--
-- The consultations_daily tables carry the four categories every consultation filter uses
-- (activity, age band, sex, unaccompanied minor: the minors and girls filters read age band,
-- sex and minor status) and at most one more, since each added category multiplies the
-- rows. Rows are kept in date order, so a period reads only its own row groups.

-- By the filter categories: totals, per activity, age band and sex, minor status, site,
-- city, week or month.
CREATE OR REPLACE TABLE consultations_daily AS
SELECT consulted_on, site_id, activity, age_band, sex, unaccompanied_minor,
       count(*) AS consultations
FROM consultations
GROUP BY ALL
ORDER BY consulted_on, site_id;

-- The same with the diagnosis group (the Consultations page's diagnosis breakdown).
CREATE OR REPLACE TABLE consultations_daily_diagnosis AS
SELECT consulted_on, site_id, activity, age_band, sex, unaccompanied_minor, diagnosis_group,
       count(*) AS consultations
FROM consultations
GROUP BY ALL
ORDER BY consulted_on, site_id;

-- The same with the health coverage (the share without coverage, the 2023 law).
CREATE OR REPLACE TABLE consultations_daily_coverage AS
SELECT consulted_on, site_id, activity, age_band, sex, unaccompanied_minor, health_coverage,
       count(*) AS consultations
FROM consultations
GROUP BY ALL
ORDER BY consulted_on, site_id;

-- The same with new or follow-up visit and referral.
CREATE OR REPLACE TABLE consultations_daily_visit AS
SELECT consulted_on, site_id, activity, age_band, sex, unaccompanied_minor, visit, referred,
       count(*) AS consultations
FROM consultations
GROUP BY ALL
ORDER BY consulted_on, site_id;

-- Per day, site and diagnosis group only, for figures read over the whole history with no
-- category filter (the winter seasons, the outbreak signal, the days each site worked):
-- a few hundred thousand rows however many consultations there are.
CREATE OR REPLACE TABLE site_diagnoses_daily AS
SELECT consulted_on, site_id, diagnosis_group, count(*) AS consultations
FROM consultations
GROUP BY ALL
ORDER BY consulted_on, site_id;
