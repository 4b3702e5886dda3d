-- name: resolve_ca
-- purpose: Find the crt.sh CA row(s) of a root, by the SHA-256 of one of its certificates, by crt.sh CA id, or by
--          name the way crt.sh's own CA search finds one: case-insensitive, anywhere in ca.name ("certinomis"
--          finds "C=FR, O=Certinomis, OU=0002 433998903, CN=Certinomis - Root CA"; LIKE wildcards typed in it
--          still work). Exactly one of the three parameters is non-NULL; the other two branches are
--          constant-false and never run (One-Time Filter). is_self_signed and issuer_ca_id tell a root from an
--          intermediate; the caller turns more than one ca_id into an error listing the candidates.
-- param: root_sha256   bytea      SHA-256 of a CA certificate (32 bytes), or NULL
-- param: ca_id         integer    crt.sh ca.id, or NULL
-- param: name_pattern  text       text (or LIKE pattern) searched for anywhere in lower(ca.name), or NULL
-- row: one CA certificate of a matching CA (a CA with a cross-sign has one row per certificate); times are UTC
-- indexes: certificate c_sha256 digest(certificate,'sha256'); ca_certificate cac_pk / cac_ca_c;
--          ca ca_pk; a name search reads the whole ca table (a substring cannot use the lower(name) btree; crt.sh's
--          CA search does the same); certificate c_id (one probe per partition, few rows)
WITH matched AS (
    SELECT cac.ca_id, 'sha256'::text AS matched_by
    FROM (
        SELECT c.id
        FROM certificate c
        WHERE %(root_sha256)s::bytea IS NOT NULL
          AND digest(c.certificate, 'sha256') = %(root_sha256)s::bytea
        OFFSET 0  -- planned on its own: the c_sha256 index, never a walk of c_id
    ) c
    JOIN ca_certificate cac ON cac.certificate_id = c.id
  UNION
    SELECT ca.id, 'ca_id'
    FROM ca
    WHERE %(ca_id)s::integer IS NOT NULL
      AND ca.id = %(ca_id)s::integer
  UNION
    SELECT ca.id, 'name'
    FROM ca
    WHERE %(name_pattern)s::text IS NOT NULL
      AND lower(ca.name) LIKE chr(37) || lower(%(name_pattern)s::text) || chr(37)  -- chr(37): the LIKE wildcard for any text
)
SELECT ca.id AS ca_id,
       ca.name AS ca_name,
       ca.num_issued[1] AS num_issued_certificates,
       ca.num_issued[2] AS num_issued_precertificates,
       ca.num_expired[1] AS num_expired_certificates,
       ca.num_expired[2] AS num_expired_precertificates,
       m.matched_by,
       cc.certificate_id,
       cc.issuer_ca_id,
       cc.sha256,
       cc.not_before,
       cc.not_after,
       cc.issuer_ca_id = ca.id AS is_self_signed
FROM matched m
JOIN ca ON ca.id = m.ca_id
LEFT JOIN LATERAL (
    SELECT cac.certificate_id,
           c.issuer_ca_id,
           digest(c.certificate, 'sha256') AS sha256,
           x509_notBefore(c.certificate) AS not_before,
           x509_notAfter(c.certificate) AS not_after
    FROM ca_certificate cac
    CROSS JOIN LATERAL (  -- one c_id probe per partition for each of the CA's few certificates
        SELECT c.issuer_ca_id, c.certificate FROM certificate c WHERE c.id = cac.certificate_id OFFSET 0
    ) c
    WHERE cac.ca_id = ca.id
) cc ON TRUE
ORDER BY ca.id, cc.certificate_id
