-- name: root_trust_records
-- purpose: What each root program records for the root's certificate(s): crt.sh root_trust_purpose with the
--          context (Mozilla, Chrome, Microsoft, Apple, Java…) and purpose names. notbefore_until = "certificates
--          issued after this are distrusted" (Mozilla distrust-after, Chrome sct_not_after, Apple/Microsoft
--          NotBefore); disabled_from = the whole root disabled (Microsoft "Disable").
-- param: root_ca_id  integer  crt.sh ca.id of the root
-- row: one (root certificate, trust context, trust purpose); times UTC
-- indexes: ca_certificate cac_ca_c (ca_id, certificate_id); root_trust_purpose rtp_pk (certificate_id, …);
--          trust_context tc_pk; trust_purpose tp_pk
SELECT rtp.certificate_id,
       rtp.trust_context_id,
       tc.ctx AS trust_context,
       rtp.trust_purpose_id,
       tp.purpose AS trust_purpose,
       tp.purpose_oid,
       rtp.disabled_from,
       rtp.notbefore_until
FROM ca_certificate cac
JOIN root_trust_purpose rtp ON rtp.certificate_id = cac.certificate_id
JOIN trust_context tc ON tc.id = rtp.trust_context_id
JOIN trust_purpose tp ON tp.id = rtp.trust_purpose_id
WHERE cac.ca_id = %(root_ca_id)s::integer
ORDER BY rtp.certificate_id, tc.display_order, tp.display_order
