-- The first schema of the store (version 1), as the first release made it: the migration test
-- opens a store made with it and checks it reaches the current schema (tests/test_store.py).
CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
CREATE SEQUENCE upload_id_seq START 1;
CREATE TABLE metrics (
    metric VARCHAR PRIMARY KEY,
    name_vi VARCHAR NOT NULL,
    name_en VARCHAR NOT NULL,
    kind VARCHAR NOT NULL CHECK (kind IN ('people', 'million_vnd')),
    direction VARCHAR NOT NULL CHECK (direction IN ('higher_is_better', 'lower_is_better')),
    sort_order INTEGER NOT NULL
);
CREATE TABLE units (
    unit_code VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    parent_code VARCHAR,
    population BIGINT,
    labour_force BIGINT
);
CREATE TABLE campaigns (
    campaign_id VARCHAR PRIMARY KEY,
    name VARCHAR NOT NULL,
    dispatch VARCHAR,
    baseline DATE NOT NULL,
    ends DATE NOT NULL,
    late_payment_max_pct DOUBLE
);
CREATE TABLE phases (
    campaign_id VARCHAR NOT NULL,
    phase INTEGER NOT NULL,
    starts DATE NOT NULL,
    milestone DATE NOT NULL,
    PRIMARY KEY (campaign_id, phase)
);
CREATE TABLE uploads (
    upload_id BIGINT PRIMARY KEY,
    kind VARCHAR NOT NULL,
    file_name VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    uploaded_by VARCHAR,
    rows INTEGER NOT NULL,
    outcome VARCHAR NOT NULL CHECK (outcome IN ('committed', 'rejected')),
    messages VARCHAR
);
CREATE TABLE targets (
    campaign_id VARCHAR NOT NULL,
    unit_code VARCHAR NOT NULL,
    metric VARCHAR NOT NULL,
    milestone DATE NOT NULL,
    target BIGINT NOT NULL,
    upload_id BIGINT,
    PRIMARY KEY (campaign_id, unit_code, metric, milestone)
);
CREATE TABLE counts (
    date DATE NOT NULL,
    unit_code VARCHAR NOT NULL,
    metric VARCHAR NOT NULL,
    value BIGINT NOT NULL,
    upload_id BIGINT NOT NULL,
    PRIMARY KEY (date, unit_code, metric)
);
CREATE TABLE count_history (
    upload_id BIGINT NOT NULL,
    date DATE NOT NULL,
    unit_code VARCHAR NOT NULL,
    metric VARCHAR NOT NULL,
    value BIGINT NOT NULL
);
