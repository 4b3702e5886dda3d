-- name: earliest_ct_entries
-- purpose: The earliest CT log entry of each certificate of one page (the certificates of a window of the
--          partition key, as fetched by unexpired_certificates*.sql): min(entry_timestamp) over ct_log_entry, the
--          proxy for Chrome's "earliest SCT" (sct_not_after) rule. It misses SCTs delivered by TLS extension or OCSP
--          (docs/rules.md). The ids come from the page the client already has, so the server does not walk the
--          certificates again.
-- param: certificate_ids  bigint[]  the page's certificate ids
-- row: one certificate row that has at least one CT log entry; earliest_entry UTC
-- indexes: ct_log_entry ctle_c (certificate_id), every ct_log_entry partition probed by index (entries are
--          partitioned by time, not by certificate)
SELECT c.id AS certificate_id,
       e.earliest_entry
FROM unnest(%(certificate_ids)s::bigint[]) AS c (id)
-- GROUP BY keeps PostgreSQL from rewriting min() as "ORDER BY entry_timestamp LIMIT 1" over index ctle_t, which
-- would walk every log entry in time order looking for this certificate; grouped, it probes ctle_c per partition.
-- A certificate without entries yields no group, so no row.
CROSS JOIN LATERAL (
    SELECT min(ctle.entry_timestamp) AS earliest_entry
    FROM ct_log_entry ctle
    WHERE ctle.certificate_id = c.id
    GROUP BY ctle.certificate_id
) e
