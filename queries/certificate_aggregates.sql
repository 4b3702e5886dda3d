-- name: certificate_aggregates
-- purpose: Server-side counts of one CA's certificates unexpired at as_of, for CAs too large to pull row by row:
--          by subject O= (NULL = no organisation), by notAfter month and by issuing CA. Only aggregates leave the
--          server. The client runs it per issuing CA and window (each statement short, index-led) and adds the
--          counts up.
-- param: issuer_ca_id  integer    crt.sh ca.id of the issuing CA
-- param: as_of         timestamp  UTC, naive
-- param: window_start  timestamp  UTC, naive, inclusive (a pair shares its notAfter: windows add up exactly)
-- param: window_end    timestamp  UTC, naive, exclusive; NULL = no upper bound
-- row: one group: dimension ('organization' | 'not_after_month' | 'issuer_ca_id') and its key as text
--      (month as 'YYYY-MM', UTC; 'unparsable' for an unknown notAfter), with counts of certificate rows,
--      of precertificates, and of distinct de-duplication keys (a precertificate and its certificate count once)
-- indexes: certificate c_ica_notafter + partition pruning on the partition key (verbatim)
SELECT CASE WHEN grouping(f.subject_o) = 0 THEN 'organization'
            WHEN grouping(f.not_after_month) = 0 THEN 'not_after_month'
            ELSE 'issuer_ca_id' END AS dimension,
       CASE WHEN grouping(f.subject_o) = 0 THEN f.subject_o
            WHEN grouping(f.not_after_month) = 0 THEN f.not_after_month
            ELSE f.issuer_ca_id::text END AS key,
       count(*) AS certificates,
       count(*) FILTER (WHERE f.is_precertificate) AS precertificates,
       count(DISTINCT f.dedup_key) AS deduplicated
FROM (
    SELECT p.issuer_ca_id,
           o.subject_o,
           coalesce(to_char(x509_notAfter(p.certificate), 'YYYY-MM'), 'unparsable') AS not_after_month,
           x509_hasExtension(p.certificate, '1.3.6.1.4.1.11129.2.4.3', TRUE) AS is_precertificate,
           digest(x509_tbscert_strip_ct_ext(p.certificate), 'sha256') AS dedup_key  -- 32 bytes to compare, not KBs
    FROM (
        SELECT c.issuer_ca_id, c.certificate
        FROM certificate c
        WHERE c.issuer_ca_id = %(issuer_ca_id)s::integer
          AND coalesce(x509_notAfter(c.certificate), 'infinity'::timestamp) >= %(as_of)s::timestamp
          AND coalesce(x509_notAfter(c.certificate), 'infinity'::timestamp) >= %(window_start)s::timestamp
          AND (%(window_end)s::timestamp IS NULL
               OR coalesce(x509_notAfter(c.certificate), 'infinity'::timestamp) < %(window_end)s::timestamp)
        OFFSET 0
    ) p
    LEFT JOIN LATERAL (
        SELECT a.value AS subject_o
        FROM x509_nameAttributes(p.certificate, 'organizationName', TRUE) WITH ORDINALITY AS a(value, n)
        ORDER BY a.n
        LIMIT 1
    ) o ON TRUE
) f
GROUP BY GROUPING SETS ((f.subject_o), (f.not_after_month), (f.issuer_ca_id))
ORDER BY 1, 2
