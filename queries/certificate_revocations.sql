-- name: certificate_revocations
-- purpose: CRL revocations crt.sh recorded for one CA's certificates unexpired at as_of (crt.sh's own join:
--          crl_revoked.ca_id = issuer_ca_id and serial_number = x509_serialNumber(certificate)). Paged by the same
--          partition-key windows as unexpired_certificates.sql.
-- param: issuer_ca_id  integer    crt.sh ca.id of the issuing CA
-- param: as_of         timestamp  UTC, naive
-- param: window_start  timestamp  UTC, naive, inclusive
-- param: window_end    timestamp  UTC, naive, exclusive; NULL = no upper bound
-- row: one revoked certificate row (a precertificate and its certificate share a serial: both rows appear);
--      revocation_date UTC, reason_code NULL when the CRL entry has none
-- indexes: certificate c_ica_notafter + partition pruning; crl_revoked crlr_pk (ca_id, serial_number)
SELECT p.id AS certificate_id,
       cr.revocation_date,
       cr.reason_code
FROM (
    SELECT c.id, c.issuer_ca_id, x509_serialNumber(c.certificate) AS serial_number
    FROM certificate c
    WHERE c.issuer_ca_id = %(issuer_ca_id)s::integer
      AND coalesce(x509_notAfter(c.certificate), 'infinity'::timestamp) >= %(as_of)s::timestamp
      AND coalesce(x509_notAfter(c.certificate), 'infinity'::timestamp) >= %(window_start)s::timestamp
      AND (%(window_end)s::timestamp IS NULL
           OR coalesce(x509_notAfter(c.certificate), 'infinity'::timestamp) < %(window_end)s::timestamp)
    OFFSET 0  -- compute the serial once per certificate
) p
JOIN crl_revoked cr ON cr.ca_id = p.issuer_ca_id AND cr.serial_number = p.serial_number
