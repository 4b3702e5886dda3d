-- name: unexpired_certificates_der
-- purpose: The same rows as unexpired_certificates.sql, over the same index range, but returning the DER bytes for
--          the client to parse (analysis.x509, each certificate parsed once) instead of asking the server to run
--          the x509_* functions: the server only walks the index and ships bytes (see docs/queries.md for the
--          measurement that makes this the client's default).
-- param: issuer_ca_id  integer    crt.sh ca.id of the issuing CA
-- param: as_of         timestamp  UTC, naive: keep certificates whose notAfter >= as_of (unparsable: kept)
-- param: window_start  timestamp  UTC, naive: page lower bound on the partition key, inclusive
-- param: window_end    timestamp  UTC, naive: page upper bound, exclusive; NULL = no upper bound
-- row: one crt.sh certificate row: id, issuer CA id and name, DER bytes
-- indexes: certificate c_ica_notafter (issuer_ca_id, coalesce(x509_notAfter(certificate), 'infinity'::timestamp));
--          partition pruning on that expression (verbatim); ca ca_pk
SELECT c.id AS certificate_id,
       c.issuer_ca_id,
       ca.name AS issuer_name,
       c.certificate
FROM certificate c
JOIN ca ON ca.id = c.issuer_ca_id
WHERE c.issuer_ca_id = %(issuer_ca_id)s::integer
  AND coalesce(x509_notAfter(c.certificate), 'infinity'::timestamp) >= %(as_of)s::timestamp
  AND coalesce(x509_notAfter(c.certificate), 'infinity'::timestamp) >= %(window_start)s::timestamp
  AND (%(window_end)s::timestamp IS NULL
       OR coalesce(x509_notAfter(c.certificate), 'infinity'::timestamp) < %(window_end)s::timestamp)
