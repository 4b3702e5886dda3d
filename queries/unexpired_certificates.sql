-- name: unexpired_certificates
-- purpose: The certificates (and precertificates: both are rows) that one CA issued and that are unexpired at
--          as_of, with the fields of the certificates frame (docs/design.md) extracted on the server by crt.sh's
--          x509_* functions. The client pages a CA's certificates by windows [window_start, window_end) of the
--          partition key; as_of alone (window_start = as_of, window_end = NULL) is the whole result.
-- param: issuer_ca_id  integer    crt.sh ca.id of the issuing CA
-- param: as_of         timestamp  UTC, naive: keep certificates whose notAfter >= as_of (unparsable: kept)
-- param: window_start  timestamp  UTC, naive: page lower bound on the partition key, inclusive
-- param: window_end    timestamp  UTC, naive: page upper bound, exclusive; NULL = no upper bound (keeps the
--                                 'infinity' key of certificates whose notAfter cannot be parsed)
-- row: one crt.sh certificate row; times UTC; sha256 and dedup_key are bytea, serial_number the DER integer contents
-- indexes: certificate c_ica_notafter (issuer_ca_id, coalesce(x509_notAfter(certificate), 'infinity'::timestamp));
--          partition pruning on that expression (repeated verbatim, crt.sh's partition key); ca ca_pk.
--          Each x509_* function is called once per row: the DER is selected once in the subquery p and every field
--          is computed from it once (libx509pq re-parses the DER on every call).
SELECT p.id AS certificate_id,
       p.issuer_ca_id,
       ca.name AS issuer_name,
       digest(p.certificate, 'sha256') AS sha256,
       x509_serialNumber(p.certificate) AS serial_number,
       x509_notBefore(p.certificate) AS not_before,
       x509_notAfter(p.certificate) AS not_after,
       o.subject_o,
       x509_commonName(p.certificate) AS subject_cn,
       coalesce(san.dns_names, ARRAY[]::text[]) AS dns_names,
       coalesce(pol.policy_oids, ARRAY[]::text[]) AS policy_oids,
       -- RFC 6962 3.1: a precertificate carries the critical CT poison extension
       x509_hasExtension(p.certificate, '1.3.6.1.4.1.11129.2.4.3', TRUE) AS is_precertificate,
       -- RFC 5280 4.2.1.12: usable for TLS servers (no EKU, serverAuth or anyExtendedKeyUsage)
       coalesce(x509_isEKUPermitted(p.certificate, '1.3.6.1.5.5.7.3.1'), FALSE) AS is_server_auth,
       -- crt.sh's precertificate/certificate de-duplication key (with issuer CA and serial)
       digest(x509_tbscert_strip_ct_ext(p.certificate), 'sha256') AS dedup_key
FROM (
    SELECT c.id, c.issuer_ca_id, c.certificate
    FROM certificate c
    WHERE c.issuer_ca_id = %(issuer_ca_id)s::integer
      AND coalesce(x509_notAfter(c.certificate), 'infinity'::timestamp) >= %(as_of)s::timestamp
      AND coalesce(x509_notAfter(c.certificate), 'infinity'::timestamp) >= %(window_start)s::timestamp
      AND (%(window_end)s::timestamp IS NULL
           OR coalesce(x509_notAfter(c.certificate), 'infinity'::timestamp) < %(window_end)s::timestamp)
    OFFSET 0  -- keep p a separate plan node so the DER is fetched once and each field computed once from it
) p
JOIN ca ON ca.id = p.issuer_ca_id
-- x509_nameAttributes returns no row when there is no O=: LEFT JOIN LATERAL keeps the certificate (subject_o NULL)
LEFT JOIN LATERAL (
    SELECT a.value AS subject_o
    FROM x509_nameAttributes(p.certificate, 'organizationName', TRUE) WITH ORDINALITY AS a(value, n)
    ORDER BY a.n
    LIMIT 1
) o ON TRUE
LEFT JOIN LATERAL (
    SELECT array_agg(a.value ORDER BY a.n) AS dns_names
    FROM x509_altNames(p.certificate, 2) WITH ORDINALITY AS a(value, n)  -- 2 = dNSName, as written
) san ON TRUE
LEFT JOIN LATERAL (
    SELECT array_agg(a.value ORDER BY a.n) AS policy_oids
    FROM x509_certPolicies(p.certificate) WITH ORDINALITY AS a(value, n)
) pol ON TRUE
