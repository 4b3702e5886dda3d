-- name: certificate_revocations
-- purpose: CRL revocations crt.sh recorded for one page of one CA's certificates, by crt.sh's own join
--          (crl_revoked.ca_id = issuer_ca_id and serial_number = x509_serialNumber(certificate)), with the serials
--          the client already has from the page (the certificates of a window of the partition key, as fetched by
--          unexpired_certificates*.sql): the server probes crl_revoked once per serial and never reads or parses a
--          certificate. Rows whose serial could not be parsed are not sent (crt.sh's join never matches them).
-- param: issuer_ca_id     integer   crt.sh ca.id of the issuing CA (every certificate of the page has it)
-- param: certificate_ids  bigint[]  the page's certificate ids
-- param: serial_numbers   bytea[]   their serial numbers (DER integer contents, as x509_serialNumber returns them),
--                                   in the same order
-- row: one revoked certificate row (a precertificate and its certificate share a serial: both rows appear);
--      revocation_date UTC, reason_code NULL when the CRL entry has none
-- indexes: crl_revoked crlr_pk (ca_id, serial_number), one probe per serial
SELECT p.certificate_id,
       cr.revocation_date,
       cr.reason_code
FROM unnest(%(certificate_ids)s::bigint[], %(serial_numbers)s::bytea[]) AS p (certificate_id, serial_number)
-- LATERAL … OFFSET 0: one parameterised probe of crlr_pk per serial, whatever the statistics say (never a hash of
-- every revocation of a CA that may have millions)
CROSS JOIN LATERAL (
    SELECT cr.revocation_date, cr.reason_code
    FROM crl_revoked cr
    WHERE cr.ca_id = %(issuer_ca_id)s::integer
      AND cr.serial_number = p.serial_number
    OFFSET 0
) cr
