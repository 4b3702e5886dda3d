-- crt.sh's tables as the analysis needs them, with crt.sh's column names, types, partitioning and indexes
-- (crtsh/certwatch_db sql/create_schema.sql). Run after the x509_* functions exist: the partition key and indexes
-- call them. Everything here is created once; analysis.localdb.schema.create_schema checks before running it.

CREATE TABLE ca (
	ID						serial,
	NUM_ISSUED				bigint[],
	NUM_EXPIRED				bigint[],
	LAST_CERTIFICATE_ID		bigint,
	LAST_NOT_AFTER			timestamp,
	NEXT_NOT_AFTER			timestamp,
	LINTING_APPLIES			boolean		DEFAULT TRUE	NOT NULL,
	NAME					text						NOT NULL,
	PUBLIC_KEY				bytea						NOT NULL,
	CONSTRAINT ca_pk
		PRIMARY KEY (ID)
);

CREATE INDEX ca_name ON ca (lower(NAME) text_pattern_ops);
CREATE INDEX ca_name_reverse ON ca (reverse(lower(NAME)) text_pattern_ops);
CREATE UNIQUE INDEX ca_uniq ON ca (NAME text_pattern_ops, PUBLIC_KEY);
CREATE INDEX ca_spki_sha256 ON ca (digest(PUBLIC_KEY, 'sha256'));

INSERT INTO ca ( ID, NAME, PUBLIC_KEY ) VALUES ( -1, 'Issuer Not Found', E'\\x00' );

-- No primary key, as on crt.sh: partitioned by the notAfter expression, which every query must repeat verbatim
-- to get partition pruning.
CREATE TABLE certificate (
	ID				bigserial	NOT NULL,
	ISSUER_CA_ID	integer		NOT NULL,
	CERTIFICATE		bytea		NOT NULL,
	CONSTRAINT c_ica_fk
		FOREIGN KEY (ISSUER_CA_ID)
		REFERENCES ca(ID)
) PARTITION BY RANGE (coalesce(x509_notAfter(CERTIFICATE), 'infinity'::timestamp));

CREATE TABLE certificate_2013andbefore PARTITION OF certificate
	FOR VALUES FROM (MINVALUE) TO ('2014-01-01T00:00:00'::timestamp);

CREATE TABLE certificate_2014 PARTITION OF certificate
	FOR VALUES FROM ('2014-01-01T00:00:00'::timestamp) TO ('2015-01-01T00:00:00'::timestamp);

CREATE TABLE certificate_2015 PARTITION OF certificate
	FOR VALUES FROM ('2015-01-01T00:00:00'::timestamp) TO ('2016-01-01T00:00:00'::timestamp);

CREATE TABLE certificate_2016 PARTITION OF certificate
	FOR VALUES FROM ('2016-01-01T00:00:00'::timestamp) TO ('2017-01-01T00:00:00'::timestamp);

CREATE TABLE certificate_2017 PARTITION OF certificate
	FOR VALUES FROM ('2017-01-01T00:00:00'::timestamp) TO ('2018-01-01T00:00:00'::timestamp);

CREATE TABLE certificate_2018 PARTITION OF certificate
	FOR VALUES FROM ('2018-01-01T00:00:00'::timestamp) TO ('2019-01-01T00:00:00'::timestamp);

CREATE TABLE certificate_2019 PARTITION OF certificate
	FOR VALUES FROM ('2019-01-01T00:00:00'::timestamp) TO ('2020-01-01T00:00:00'::timestamp);

CREATE TABLE certificate_2020 PARTITION OF certificate
	FOR VALUES FROM ('2020-01-01T00:00:00'::timestamp) TO ('2021-01-01T00:00:00'::timestamp);

CREATE TABLE certificate_2021 PARTITION OF certificate
	FOR VALUES FROM ('2021-01-01T00:00:00'::timestamp) TO ('2022-01-01T00:00:00'::timestamp);

CREATE TABLE certificate_2022 PARTITION OF certificate
	FOR VALUES FROM ('2022-01-01T00:00:00'::timestamp) TO ('2023-01-01T00:00:00'::timestamp);

CREATE TABLE certificate_2023 PARTITION OF certificate
	FOR VALUES FROM ('2023-01-01T00:00:00'::timestamp) TO ('2024-01-01T00:00:00'::timestamp);

CREATE TABLE certificate_2024 PARTITION OF certificate
	FOR VALUES FROM ('2024-01-01T00:00:00'::timestamp) TO ('2025-01-01T00:00:00'::timestamp);

CREATE TABLE certificate_2025 PARTITION OF certificate
	FOR VALUES FROM ('2025-01-01T00:00:00'::timestamp) TO ('2026-01-01T00:00:00'::timestamp);

CREATE TABLE certificate_2026 PARTITION OF certificate
	FOR VALUES FROM ('2026-01-01T00:00:00'::timestamp) TO ('2027-01-01T00:00:00'::timestamp);

CREATE TABLE certificate_2027q1 PARTITION OF certificate
	FOR VALUES FROM ('2027-01-01T00:00:00'::timestamp) TO ('2027-04-01T00:00:00'::timestamp);

CREATE TABLE certificate_2027q2 PARTITION OF certificate
	FOR VALUES FROM ('2027-04-01T00:00:00'::timestamp) TO ('2027-07-01T00:00:00'::timestamp);

CREATE TABLE certificate_2027q3 PARTITION OF certificate
	FOR VALUES FROM ('2027-07-01T00:00:00'::timestamp) TO ('2027-10-01T00:00:00'::timestamp);

CREATE TABLE certificate_2027q4 PARTITION OF certificate
	FOR VALUES FROM ('2027-10-01T00:00:00'::timestamp) TO ('2028-01-01T00:00:00'::timestamp);

CREATE TABLE certificate_2028q1 PARTITION OF certificate
	FOR VALUES FROM ('2028-01-01T00:00:00'::timestamp) TO ('2028-04-01T00:00:00'::timestamp);

CREATE TABLE certificate_2028q2 PARTITION OF certificate
	FOR VALUES FROM ('2028-04-01T00:00:00'::timestamp) TO ('2028-07-01T00:00:00'::timestamp);

CREATE TABLE certificate_2028q3 PARTITION OF certificate
	FOR VALUES FROM ('2028-07-01T00:00:00'::timestamp) TO ('2028-10-01T00:00:00'::timestamp);

CREATE TABLE certificate_2028q4 PARTITION OF certificate
	FOR VALUES FROM ('2028-10-01T00:00:00'::timestamp) TO ('2029-01-01T00:00:00'::timestamp);

CREATE TABLE certificate_2029q1 PARTITION OF certificate
	FOR VALUES FROM ('2029-01-01T00:00:00'::timestamp) TO ('2029-04-01T00:00:00'::timestamp);

CREATE TABLE certificate_2029q2 PARTITION OF certificate
	FOR VALUES FROM ('2029-04-01T00:00:00'::timestamp) TO ('2029-07-01T00:00:00'::timestamp);

CREATE TABLE certificate_2029q3 PARTITION OF certificate
	FOR VALUES FROM ('2029-07-01T00:00:00'::timestamp) TO ('2029-10-01T00:00:00'::timestamp);

CREATE TABLE certificate_2029q4 PARTITION OF certificate
	FOR VALUES FROM ('2029-10-01T00:00:00'::timestamp) TO ('2030-01-01T00:00:00'::timestamp);

CREATE TABLE certificate_2030andbeyond PARTITION OF certificate
	FOR VALUES FROM ('2030-01-01T00:00:00'::timestamp) TO (MAXVALUE);

CREATE INDEX c_id ON certificate (ID);
CREATE INDEX c_sha1 ON certificate (digest(CERTIFICATE, 'sha1'));
CREATE INDEX c_sha256 ON certificate (digest(CERTIFICATE, 'sha256'));
CREATE INDEX c_serial ON certificate (x509_serialNumber(CERTIFICATE));
CREATE INDEX c_spki_sha256 ON certificate (digest(x509_publicKey(CERTIFICATE), 'sha256'));
CREATE INDEX c_ica_notbefore ON certificate (ISSUER_CA_ID, x509_notBefore(CERTIFICATE));
CREATE INDEX c_ica_notafter ON certificate (ISSUER_CA_ID, coalesce(x509_notAfter(CERTIFICATE), 'infinity'::timestamp));
CREATE INDEX c_ica_canissue ON certificate (ISSUER_CA_ID) WHERE x509_canIssueCerts(CERTIFICATE);
CREATE INDEX c_ski ON certificate (x509_subjectKeyIdentifier(CERTIFICATE));


CREATE TABLE ca_certificate (
	CERTIFICATE_ID			bigint,
	CA_ID					integer,
	CONSTRAINT cac_pk
		PRIMARY KEY (CERTIFICATE_ID),
	CONSTRAINT cac_ca_fk
		FOREIGN KEY (CA_ID)
		REFERENCES ca(ID)
);

CREATE INDEX cac_ca_c ON ca_certificate (CA_ID, CERTIFICATE_ID);


CREATE TABLE crl_revoked (
	CA_ID					integer,
	SERIAL_NUMBER			bytea,
	REASON_CODE				smallint,
	REVOCATION_DATE			timestamp,
	LAST_SEEN_CHECK_DATE	timestamp,
	CONSTRAINT crlr_pk
		PRIMARY KEY (CA_ID, SERIAL_NUMBER),
	CONSTRAINT crlr_ca_fk
		FOREIGN KEY (CA_ID)
		REFERENCES ca(ID)
);


CREATE TABLE ct_log (
	ID						integer,
	OPERATOR				text,
	URL						text,
	NAME					text,
	PUBLIC_KEY				bytea,
	IS_ACTIVE				boolean,
	LATEST_UPDATE			timestamp,
	LATEST_STH_TIMESTAMP	timestamp,
	MMD_IN_SECONDS			integer,
	TREE_SIZE				integer,
	BATCH_SIZE				integer,
	CHUNK_SIZE				integer,
	GOOGLE_UPTIME			text,
	CHROME_VERSION_ADDED	integer,
	CHROME_INCLUSION_STATUS	text,
	CHROME_ISSUE_NUMBER		integer,
	CHROME_FINAL_TREE_SIZE	integer,
	CHROME_DISQUALIFIED_AT	timestamp,
	APPLE_INCLUSION_STATUS	text,
	APPLE_LAST_STATE_CHANGE	timestamp,
	CONSTRAINT ctl_pk
		PRIMARY KEY (ID),
	CONSTRAINT ctl_url_unq
		UNIQUE (URL)
);


CREATE TABLE ct_log_entry (
	CERTIFICATE_ID	bigint		NOT NULL,
	ENTRY_ID		bigint		NOT NULL,
	ENTRY_TIMESTAMP	timestamp	NOT NULL,
	CT_LOG_ID		integer		NOT NULL,
	CONSTRAINT ctle_ctl_fk
		FOREIGN KEY (CT_LOG_ID)
		REFERENCES ct_log(ID)
) PARTITION BY RANGE (ENTRY_TIMESTAMP);

CREATE TABLE ct_log_entry_2013andbefore PARTITION OF ct_log_entry
	FOR VALUES FROM (MINVALUE) TO ('2014-01-01T00:00:00'::timestamp);

CREATE TABLE ct_log_entry_2014 PARTITION OF ct_log_entry
	FOR VALUES FROM ('2014-01-01T00:00:00'::timestamp) TO ('2015-01-01T00:00:00'::timestamp);

CREATE TABLE ct_log_entry_2015 PARTITION OF ct_log_entry
	FOR VALUES FROM ('2015-01-01T00:00:00'::timestamp) TO ('2016-01-01T00:00:00'::timestamp);

CREATE TABLE ct_log_entry_2016 PARTITION OF ct_log_entry
	FOR VALUES FROM ('2016-01-01T00:00:00'::timestamp) TO ('2017-01-01T00:00:00'::timestamp);

CREATE TABLE ct_log_entry_2017 PARTITION OF ct_log_entry
	FOR VALUES FROM ('2017-01-01T00:00:00'::timestamp) TO ('2018-01-01T00:00:00'::timestamp);

CREATE TABLE ct_log_entry_2018 PARTITION OF ct_log_entry
	FOR VALUES FROM ('2018-01-01T00:00:00'::timestamp) TO ('2019-01-01T00:00:00'::timestamp);

CREATE TABLE ct_log_entry_2019 PARTITION OF ct_log_entry
	FOR VALUES FROM ('2019-01-01T00:00:00'::timestamp) TO ('2020-01-01T00:00:00'::timestamp);

CREATE TABLE ct_log_entry_2020 PARTITION OF ct_log_entry
	FOR VALUES FROM ('2020-01-01T00:00:00'::timestamp) TO ('2021-01-01T00:00:00'::timestamp);

CREATE TABLE ct_log_entry_2021 PARTITION OF ct_log_entry
	FOR VALUES FROM ('2021-01-01T00:00:00'::timestamp) TO ('2022-01-01T00:00:00'::timestamp);

CREATE TABLE ct_log_entry_2022 PARTITION OF ct_log_entry
	FOR VALUES FROM ('2022-01-01T00:00:00'::timestamp) TO ('2023-01-01T00:00:00'::timestamp);

CREATE TABLE ct_log_entry_2023 PARTITION OF ct_log_entry
	FOR VALUES FROM ('2023-01-01T00:00:00'::timestamp) TO ('2024-01-01T00:00:00'::timestamp);

CREATE TABLE ct_log_entry_2024 PARTITION OF ct_log_entry
	FOR VALUES FROM ('2024-01-01T00:00:00'::timestamp) TO ('2025-01-01T00:00:00'::timestamp);

CREATE TABLE ct_log_entry_2025 PARTITION OF ct_log_entry
	FOR VALUES FROM ('2025-01-01T00:00:00'::timestamp) TO ('2026-01-01T00:00:00'::timestamp);

CREATE TABLE ct_log_entry_2026 PARTITION OF ct_log_entry
	FOR VALUES FROM ('2026-01-01T00:00:00'::timestamp) TO ('2027-01-01T00:00:00'::timestamp);

CREATE TABLE ct_log_entry_2027andbeyond PARTITION OF ct_log_entry
	FOR VALUES FROM ('2027-01-01T00:00:00'::timestamp) TO (MAXVALUE);

CREATE INDEX ctle_c ON ct_log_entry (CERTIFICATE_ID);
CREATE INDEX ctle_e ON ct_log_entry (ENTRY_ID);
CREATE INDEX ctle_t ON ct_log_entry (ENTRY_TIMESTAMP);
CREATE INDEX ctle_le ON ct_log_entry (CT_LOG_ID, ENTRY_ID DESC);
-- The loader's "loading twice adds nothing" rests on this (crt.sh dedups entries by log and entry id).
CREATE UNIQUE INDEX ctle_uniq ON ct_log_entry (CT_LOG_ID, ENTRY_ID, ENTRY_TIMESTAMP);


CREATE TABLE trust_context (
	ID				integer,
	DISPLAY_ORDER	integer,
	CTX				text		NOT NULL,
	URL				text,
	VERSION			text,
	VERSION_URL		text,
	CONSTRAINT tc_pk
		PRIMARY KEY (ID)
);

CREATE UNIQUE INDEX tc_ctx_uniq ON trust_context (CTX text_pattern_ops);

INSERT INTO trust_context ( ID, CTX, URL, DISPLAY_ORDER ) VALUES
	( 1, 'Microsoft', 'https://aka.ms/rootcert', 2 ),
	( 5, 'Mozilla', 'https://www.mozilla.org/en-US/about/governance/policies/security-group/certs/policy/', 3 ),
	( 6, 'Chrome', 'https://www.chromium.org/Home/chromium-security/root-ca-policy', 4 ),
	( 12, 'Apple', 'https://www.apple.com/certificateauthority/ca_program.html', 1 ),
	( 17, 'Android', 'https://android.googlesource.com/platform/system/ca-certificates/', 5 ),
	( 23, 'Java', 'http://www.oracle.com/technetwork/java/javase/javasecarootcertsprogram-1876540.html', 6 );


CREATE TABLE trust_purpose (
	ID					integer,
	DISPLAY_ORDER		integer,
	PURPOSE				text,
	PURPOSE_OID			text,
	CONSTRAINT tp_pk
		PRIMARY KEY (ID)
);

CREATE UNIQUE INDEX tp_purpose_uniq ON trust_purpose (PURPOSE text_pattern_ops, PURPOSE_OID text_pattern_ops);

INSERT INTO trust_purpose ( ID, PURPOSE, PURPOSE_OID, DISPLAY_ORDER ) VALUES
	( 1, 'Server Authentication', '1.3.6.1.5.5.7.3.1', 2 ),
	( 2, 'Client Authentication', '1.3.6.1.5.5.7.3.2', 10 ),
	( 3, 'Secure Email', '1.3.6.1.5.5.7.3.4', 11 ),
	( 4, 'Code Signing', '1.3.6.1.5.5.7.3.3', 20 ),
	( 5, 'Time Stamping', '1.3.6.1.5.5.7.3.8', 22 );


CREATE TABLE root_trust_purpose(
	CERTIFICATE_ID		bigint,
	TRUST_CONTEXT_ID	integer,
	TRUST_PURPOSE_ID	integer,
	DISABLED_FROM		timestamp,
	NOTBEFORE_UNTIL		timestamp,
	CONSTRAINT rtp_pk
		PRIMARY KEY (CERTIFICATE_ID, TRUST_CONTEXT_ID, TRUST_PURPOSE_ID),
	CONSTRAINT rtp_tc_fk
		FOREIGN KEY (TRUST_CONTEXT_ID)
		REFERENCES trust_context(ID),
	CONSTRAINT rtp_tp_fk
		FOREIGN KEY (TRUST_PURPOSE_ID)
		REFERENCES trust_purpose(ID)
);


CREATE TABLE ca_trust_purpose (
	CA_ID									integer,
	TRUST_CONTEXT_ID						integer,
	TRUST_PURPOSE_ID						integer,
	SHORTEST_CHAIN							integer,
	ITERATION_LAST_MODIFIED					integer,
	PATH_LEN_CONSTRAINT						integer,
	IS_TIME_VALID							boolean,
	ALL_CHAINS_TECHNICALLY_CONSTRAINED		boolean,
	ALL_CHAINS_REVOKED_IN_SALESFORCE		boolean,
	ALL_CHAINS_REVOKED_VIA_ONECRL			boolean,
	ALL_CHAINS_REVOKED_VIA_CRLSET			boolean,
	ALL_CHAINS_REVOKED_VIA_DISALLOWEDSTL	boolean,
	DISABLED_FROM							timestamp,
	NOTBEFORE_UNTIL							timestamp,
	CONSTRAINT ctp_pk
		PRIMARY KEY (CA_ID, TRUST_PURPOSE_ID, TRUST_CONTEXT_ID),
	CONSTRAINT ctp_ca_fk
		FOREIGN KEY (CA_ID)
		REFERENCES ca(ID),
	CONSTRAINT ctp_tc_fk
		FOREIGN KEY (TRUST_CONTEXT_ID)
		REFERENCES trust_context(ID),
	CONSTRAINT ctp_tp_fk
		FOREIGN KEY (TRUST_PURPOSE_ID)
		REFERENCES trust_purpose(ID)
);


-- The public endpoint's user: read-only, like crt.sh's hot-standby replica (writes fail with SQLSTATE 25006).
DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'guest') THEN
		CREATE ROLE guest WITH LOGIN;
	END IF;
END
$$;
ALTER ROLE guest SET default_transaction_read_only = on;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO guest;
