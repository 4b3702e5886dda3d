-- name: ca_hierarchy
-- purpose: Every CA below a root, recursively through CA certificates: a certificate issued by a CA already in the
--          tree that can itself issue certificates (x509_canIssueCerts) leads, through ca_certificate, to a child
--          CA. Cross-signed intermediates, and CAs reached through a cross-sign of another root, appear with each
--          path that reaches them. Cycle-safe: a certificate leading back to a CA already on the path (a
--          self-signed certificate, a mutual cross-sign) is listed once with closes_cycle = TRUE and not followed.
--          Expired CA certificates are kept (their validity is returned) because leaves may outlive the CA
--          certificate crt.sh saw first.
-- param: root_ca_id  integer  crt.sh ca.id of the root
-- row: one (path, CA certificate): depth 0 rows are the root's own certificates (self-signed and any cross-signs of
--      the root by others); depth >= 1 rows are CA certificates issued inside the tree (with closes_cycle for one
--      that leads back to a CA on its path; those leading back to the root are its depth-0 rows). Every CA
--      certificate that a CA of the tree issued is listed. Times are UTC.
--      other_issuer_ca_ids = CAs outside this tree that also issued a certificate for this CA (another path);
--      trusted_in = ca_trust_purpose entries 'Context/Purpose' that crt.sh computed as time-valid for this CA
--      across all paths (NULL when crt.sh has none, as on the local database unless filled).
-- indexes: certificate c_ica_canissue (issuer_ca_id) WHERE x509_canIssueCerts(certificate); ca_certificate cac_pk
--          and cac_ca_c; certificate c_id for the root's own and the other-issuer look-ups (few rows);
--          ca_trust_purpose ctp_pk
WITH RECURSIVE tree (ca_id, parent_ca_id, certificate_id, certificate, depth, path, closes_cycle) AS (
    SELECT %(root_ca_id)s::integer, NULL::integer, NULL::bigint, NULL::bytea, 0, ARRAY[%(root_ca_id)s::integer],
           FALSE
  UNION ALL
    SELECT cac.ca_id, t.ca_id, c.id, c.certificate, t.depth + 1, t.path || cac.ca_id, cac.ca_id = ANY (t.path)
    FROM tree t
    -- LATERAL … OFFSET 0: a nested loop probing the partial index per CA, whatever the statistics say
    CROSS JOIN LATERAL (
        SELECT c.id, c.certificate
        FROM certificate c
        WHERE c.issuer_ca_id = t.ca_id
          AND x509_canIssueCerts(c.certificate)
        OFFSET 0
    ) c
    JOIN ca_certificate cac ON cac.certificate_id = c.id
    WHERE NOT t.closes_cycle  -- a cycle is listed, never followed
),
tree_cas AS (
    SELECT array_agg(DISTINCT t.ca_id) AS ids FROM tree t
),
edges AS (
    -- the root's own certificates (self-signed, or a cross-sign of the root by another CA)
    SELECT cac.ca_id, c.issuer_ca_id AS parent_ca_id, c.id AS certificate_id, c.certificate, 0 AS depth,
           ARRAY[cac.ca_id] AS path, FALSE AS closes_cycle
    FROM ca_certificate cac
    CROSS JOIN LATERAL (
        SELECT c.id, c.issuer_ca_id, c.certificate FROM certificate c WHERE c.id = cac.certificate_id OFFSET 0
    ) c
    WHERE cac.ca_id = %(root_ca_id)s::integer
  UNION ALL
    SELECT t.ca_id, t.parent_ca_id, t.certificate_id, t.certificate, t.depth, t.path, t.closes_cycle
    FROM tree t
    WHERE t.depth > 0
      AND NOT (t.closes_cycle AND t.ca_id = %(root_ca_id)s::integer)  -- already a depth-0 row
)
SELECT e.depth,
       e.ca_id,
       ca.name AS ca_name,
       e.parent_ca_id,
       e.certificate_id,
       digest(e.certificate, 'sha256') AS sha256,
       x509_notBefore(e.certificate) AS not_before,
       x509_notAfter(e.certificate) AS not_after,
       e.path,
       e.closes_cycle,
       o.other_issuer_ca_ids,
       tr.trusted_in
FROM edges e
JOIN ca ON ca.id = e.ca_id
CROSS JOIN tree_cas tc
LEFT JOIN LATERAL (
    SELECT array_agg(DISTINCT c2.issuer_ca_id ORDER BY c2.issuer_ca_id) AS other_issuer_ca_ids
    FROM ca_certificate cac2
    CROSS JOIN LATERAL (
        SELECT c2.issuer_ca_id FROM certificate c2 WHERE c2.id = cac2.certificate_id OFFSET 0
    ) c2
    WHERE cac2.ca_id = e.ca_id
      AND c2.issuer_ca_id <> ALL (tc.ids)
) o ON TRUE
LEFT JOIN LATERAL (
    SELECT array_agg(tctx.ctx || '/' || tp.purpose ORDER BY tctx.display_order, tp.display_order) AS trusted_in
    FROM ca_trust_purpose ctp
    JOIN trust_context tctx ON tctx.id = ctp.trust_context_id
    JOIN trust_purpose tp ON tp.id = ctp.trust_purpose_id
    WHERE ctp.ca_id = e.ca_id
      AND ctp.is_time_valid
) tr ON TRUE
ORDER BY e.depth, e.path, e.certificate_id
