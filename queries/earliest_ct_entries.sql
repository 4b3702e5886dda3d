-- name: earliest_ct_entries
-- purpose: The earliest CT log entry of each of one CA's certificates unexpired at as_of: min(entry_timestamp)
--          over ct_log_entry, the proxy for Chrome's "earliest SCT" (sct_not_after) rule. It misses SCTs delivered
--          by TLS extension or OCSP (docs/rules.md). Paged by the same windows as unexpired_certificates.
-- param: issuer_ca_id  integer    crt.sh ca.id of the issuing CA
-- param: as_of         timestamp  UTC, naive
-- param: window_start  timestamp  UTC, naive, inclusive
-- param: window_end    timestamp  UTC, naive, exclusive; NULL = no upper bound
-- row: one certificate row that has at least one CT log entry; earliest_entry UTC
-- indexes: certificate c_ica_notafter + partition pruning; ct_log_entry ctle_c (certificate_id), every
--          ct_log_entry partition probed by index (entries are partitioned by time, not by certificate)
SELECT c.id AS certificate_id,
       e.earliest_entry
FROM certificate c
-- GROUP BY keeps PostgreSQL from rewriting min() as "ORDER BY entry_timestamp LIMIT 1" over index ctle_t, which
-- would walk every log entry in time order looking for this certificate; grouped, it probes ctle_c per partition.
-- A certificate without entries yields no group, so no row.
CROSS JOIN LATERAL (
    SELECT min(ctle.entry_timestamp) AS earliest_entry
    FROM ct_log_entry ctle
    WHERE ctle.certificate_id = c.id
    GROUP BY ctle.certificate_id
) e
WHERE c.issuer_ca_id = %(issuer_ca_id)s::integer
  AND coalesce(x509_notAfter(c.certificate), 'infinity'::timestamp) >= %(as_of)s::timestamp
  AND coalesce(x509_notAfter(c.certificate), 'infinity'::timestamp) >= %(window_start)s::timestamp
  AND (%(window_end)s::timestamp IS NULL
       OR coalesce(x509_notAfter(c.certificate), 'infinity'::timestamp) < %(window_end)s::timestamp)
