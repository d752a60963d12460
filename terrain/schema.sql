-- Terrain's database schema: anonymised activity data only.
-- No names, dates of birth, phone numbers, addresses, free text or stable person
-- identifiers: people appear only as counts or as rows with coarse attributes.
-- Categories are ENUM types so that a wrong value is refused at insert and stored compactly.

CREATE TYPE site_type AS ENUM ('camp', 'shelter', 'day_centre', 'emergency_shelter', 'mobile_team', 'squat');
CREATE TYPE population_focus AS ENUM ('minors', 'girls', 'adults', 'mixed');
CREATE TYPE activity AS ENUM ('medical', 'mental_health', 'social', 'legal');
CREATE TYPE visit_kind AS ENUM ('new', 'follow_up');
CREATE TYPE age_band AS ENUM ('0-14', '15-17', '18-24', '25-34', '35+', 'unknown');
CREATE TYPE sex AS ENUM ('F', 'M', 'X');
CREATE TYPE yes_no_unknown AS ENUM ('yes', 'no', 'unknown');
CREATE TYPE diagnosis_group AS ENUM (
    'respiratory_infection', 'skin_infection_scabies', 'trauma_violence', 'hypothermia_frostbite',
    'mental_health', 'digestive', 'acute_diarrhoea', 'chronic_disease', 'dental',
    'musculoskeletal', 'foot_wounds', 'eye_ear', 'urinary_genital', 'pregnancy_care',
    'sexual_violence', 'suspected_measles', 'tuberculosis_suspected', 'fever_other',
    'vaccination_check', 'other');
CREATE TYPE health_coverage AS ENUM ('none', 'AME', 'PUMa_CSS', 'unknown');
CREATE TYPE place_type AS ENUM ('street', 'squat', 'camp');
CREATE TYPE vigilance_colour AS ENUM ('green', 'yellow', 'orange', 'red');
-- The préfecture's declared "plan grand froid" level, stored as declared (never derived
-- from temperature). Ordered from least to most severe.
CREATE TYPE plan_level AS ENUM ('veille_saisonniere', 'grand_froid', 'tres_grand_froid', 'froid_extreme');
CREATE TYPE area_kind AS ENUM ('city', 'departement');

CREATE TABLE metadata (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    dataset_name    VARCHAR NOT NULL CHECK (length(dataset_name) > 0),
    is_synthetic    BOOLEAN NOT NULL,
    data_as_of      DATE NOT NULL,
    schema_version  INTEGER NOT NULL CHECK (schema_version >= 1),
    created_at      TIMESTAMP NOT NULL
);

CREATE TABLE sites (
    site_id          VARCHAR PRIMARY KEY CHECK (regexp_full_match(site_id, '[a-z][a-z0-9_]{1,62}')),
    name             VARCHAR NOT NULL CHECK (length(name) BETWEEN 2 AND 120),
    city             VARCHAR NOT NULL CHECK (length(city) BETWEEN 2 AND 80),
    commune_code     VARCHAR NOT NULL CHECK (regexp_full_match(commune_code, '[0-9]{5}|2[AB][0-9]{3}')),
    departement      VARCHAR NOT NULL CHECK (regexp_full_match(departement, '[0-9]{2}|2[AB]')),
    site_type        site_type NOT NULL,
    -- Exact location: shown to programme managers only (see terrain/disclosure.py).
    latitude         DOUBLE NOT NULL CHECK (latitude BETWEEN 41.0 AND 51.5),
    longitude        DOUBLE NOT NULL CHECK (longitude BETWEEN -5.5 AND 10.0),
    bed_capacity     INTEGER CHECK (bed_capacity BETWEEN 0 AND 2000),
    population_focus population_focus NOT NULL,
    opened           DATE NOT NULL,
    closed           DATE,
    CHECK (closed IS NULL OR closed >= opened),
    CHECK (starts_with(commune_code, departement)),
    CHECK (site_type NOT IN ('shelter', 'emergency_shelter') OR bed_capacity > 0)
);

CREATE TABLE shelter_nights (
    site_id             VARCHAR NOT NULL REFERENCES sites (site_id),
    night               DATE NOT NULL,
    beds_available      INTEGER NOT NULL CHECK (beds_available BETWEEN 0 AND 2000),
    beds_occupied       INTEGER NOT NULL CHECK (beds_occupied >= 0),
    turned_away         INTEGER NOT NULL CHECK (turned_away >= 0),
    turned_away_minors  INTEGER NOT NULL CHECK (turned_away_minors >= 0),
    turned_away_girls   INTEGER NOT NULL CHECK (turned_away_girls >= 0),
    PRIMARY KEY (site_id, night),
    -- Overflow nights (mattresses on the floor) happen; more than twice the beds does not.
    CHECK (beds_occupied <= 2 * beds_available),
    CHECK (turned_away_minors <= turned_away),
    CHECK (turned_away_girls <= turned_away)
);

-- One row per consultation. No identifier: a row cannot be linked to a person.
CREATE TABLE consultations (
    consulted_on        DATE NOT NULL,
    site_id             VARCHAR NOT NULL,
    activity            activity NOT NULL,
    visit               visit_kind NOT NULL,
    age_band            age_band NOT NULL,
    sex                 sex NOT NULL,
    unaccompanied_minor yes_no_unknown NOT NULL,
    diagnosis_group     diagnosis_group NOT NULL,
    health_coverage     health_coverage NOT NULL,
    referred            BOOLEAN NOT NULL,
    -- An unaccompanied minor is under 18 or of unknown/contested age, never a known adult.
    CHECK (unaccompanied_minor <> 'yes' OR age_band IN ('0-14', '15-17', 'unknown'))
);

CREATE TABLE outreach (
    visited_on      DATE NOT NULL,
    team_id         VARCHAR NOT NULL REFERENCES sites (site_id),
    place_type      place_type NOT NULL,
    people_reached  INTEGER NOT NULL CHECK (people_reached BETWEEN 0 AND 5000),
    PRIMARY KEY (visited_on, team_id, place_type)
);

CREATE TABLE vaccination_campaigns (
    campaign_id      VARCHAR PRIMARY KEY CHECK (regexp_full_match(campaign_id, '[a-z0-9_-]{2,64}')),
    antigen          VARCHAR NOT NULL CHECK (antigen IN ('measles', 'mmr', 'dtp', 'hepatitis_b', 'influenza', 'covid19')),
    starts           DATE NOT NULL,
    ends             DATE NOT NULL,
    target_ages      VARCHAR NOT NULL,
    -- The same target as age bands: coverage counts the doses of these bands only
    -- (queries/vaccinations_by_campaign.sql). "unknown" is not an age, never a target.
    target_age_bands age_band[] NOT NULL,
    -- The target population of a mobile population is uncertain: coverage is a range.
    population_low   INTEGER NOT NULL CHECK (population_low > 0),
    population_high  INTEGER NOT NULL,
    CHECK (ends >= starts),
    CHECK (population_high >= population_low),
    CHECK (len(target_age_bands) > 0),
    CHECK (NOT list_contains(target_age_bands, 'unknown'))
);

CREATE TABLE vaccinations (
    vaccinated_on  DATE NOT NULL,
    site_id        VARCHAR NOT NULL REFERENCES sites (site_id),
    -- A campaign's id, with no foreign key: DuckDB updates a list column (a campaign's
    -- target_age_bands) by a delete and an insert, which a reference to the campaign would
    -- refuse. The import checks the reference instead (terrain/importing/tables.py).
    campaign_id    VARCHAR,
    antigen        VARCHAR NOT NULL CHECK (antigen IN ('measles', 'mmr', 'dtp', 'hepatitis_b', 'influenza', 'covid19')),
    age_band       age_band NOT NULL,
    doses          INTEGER NOT NULL CHECK (doses BETWEEN 1 AND 10000),
    PRIMARY KEY (vaccinated_on, site_id, antigen, age_band)
);

CREATE TABLE weather_daily (
    city        VARCHAR NOT NULL,
    day         DATE NOT NULL,
    tmin_c      DOUBLE NOT NULL CHECK (tmin_c BETWEEN -40 AND 45),
    tmax_c      DOUBLE NOT NULL CHECK (tmax_c BETWEEN -35 AND 50),
    vigilance   vigilance_colour NOT NULL,
    PRIMARY KEY (city, day),
    CHECK (tmin_c <= tmax_c)
);

CREATE TABLE winter_plan (
    area        VARCHAR NOT NULL,
    area_kind   area_kind NOT NULL,
    starts      DATE NOT NULL,
    ends        DATE NOT NULL,
    level       plan_level NOT NULL,
    PRIMARY KEY (area, starts),
    CHECK (ends >= starts)
);

-- Months a programme manager has checked and approved, city by city (terrain/approvals.py).
-- Donors and public outputs see a month only once it and every month before it are approved
-- for every city with a site open in them (the view publication_cutoff); an import that
-- changes an approved month is refused until the month is reopened.
CREATE TABLE month_approvals (
    city         VARCHAR NOT NULL CHECK (length(city) BETWEEN 2 AND 80),
    month        DATE NOT NULL CHECK (day(month) = 1),
    approved_by  VARCHAR NOT NULL CHECK (length(approved_by) BETWEEN 1 AND 120),
    approved_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (city, month)
);

-- Every reopening of an approved month: who, when, why, and whose approval it undid.
CREATE TABLE month_reopenings (
    city         VARCHAR NOT NULL,
    month        DATE NOT NULL CHECK (day(month) = 1),
    reopened_by  VARCHAR NOT NULL CHECK (length(reopened_by) BETWEEN 1 AND 120),
    reopened_at  TIMESTAMP NOT NULL,
    reason       VARCHAR NOT NULL CHECK (length(trim(reason)) BETWEEN 5 AND 500),
    approved_by  VARCHAR NOT NULL,
    approved_at  TIMESTAMP NOT NULL
);

-- Context events drawn on the time charts, listed in briefs and exported with the figures
-- (a shelter opening, a camp eviction, a law, a winter plan): what a reader needs to read a
-- curve. Kept by programme managers beside the rows (terrain/events.py); no figure is built
-- from them. A short label about a place or a decision, never about a person. Internal events
-- never reach donors or anything public (the query door drops them: queries/events_in_period.sql).
CREATE TABLE context_events (
    event_id     VARCHAR PRIMARY KEY CHECK (regexp_full_match(event_id, '[a-z0-9][a-z0-9_-]{1,63}')),
    starts       DATE NOT NULL,
    ends         DATE,                 -- NULL: a single day; else the period's last day
    city         VARCHAR CHECK (length(city) BETWEEN 2 AND 80),   -- NULL: everywhere
    kind         VARCHAR NOT NULL CHECK (kind IN ('opening', 'closure', 'eviction', 'law', 'winter_plan', 'other')),
    label_fr     VARCHAR NOT NULL CHECK (length(trim(label_fr)) BETWEEN 3 AND 48),
    label_en     VARCHAR NOT NULL CHECK (length(trim(label_en)) BETWEEN 3 AND 48),
    audience     VARCHAR NOT NULL CHECK (audience IN ('public', 'internal')),
    recorded_by  VARCHAR NOT NULL,
    recorded_at  TIMESTAMP NOT NULL,
    CHECK (ends IS NULL OR ends > starts)
);
