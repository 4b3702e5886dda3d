-- name: certificate_aggregates
-- purpose: Server-side counts of one CA's certificates unexpired at as_of, for CAs too large to pull row by row:
--          by subject O= (NULL = no organisation), by notAfter month, by issuing CA, and by "cell" (every field a
--          distrust option or analysis filter reads, coarsened: docs/aggregates.md). Only aggregates leave the
--          server. The client runs it per issuing CA and window (each statement short, index-led) and adds the
--          counts up.
-- param: issuer_ca_id  integer    crt.sh ca.id of the issuing CA
-- param: as_of         timestamp  UTC, naive
-- param: window_start  timestamp  UTC, naive, inclusive (a pair shares its notAfter: windows add up exactly)
-- param: window_end    timestamp  UTC, naive, exclusive; NULL = no upper bound
-- row: one group: dimension ('organization' | 'not_after_month' | 'issuer_ca_id' | 'cell') and its key as text
--      (month as 'YYYY-MM', UTC; 'unparsable' for an unknown notAfter; a cell's key is the JSON array
--      [issuer_ca_id, kind, notBefore month, notAfter month, revocation, zones] described in docs/aggregates.md),
--      with counts of certificate rows, of precertificates, and of distinct de-duplication keys (a precertificate
--      and its certificate count once; in a cell, a row without a key, which cannot be parsed, counts once too)
-- indexes: certificate c_ica_notafter + partition pruning on the partition key (verbatim); ca_certificate cac_pk
--          (certificate_id); crl_revoked crlr_pk (ca_id, serial_number)
SELECT CASE WHEN grouping(f.kind) = 0 THEN 'cell'
            WHEN grouping(f.subject_o) = 0 THEN 'organization'
            WHEN grouping(f.not_after_month) = 0 THEN 'not_after_month'
            ELSE 'issuer_ca_id' END AS dimension,
       CASE WHEN grouping(f.kind) = 0
                 THEN json_build_array(f.issuer_ca_id, f.kind, f.not_before_month, f.not_after_month, f.revoked,
                                       f.zones)::text
            WHEN grouping(f.subject_o) = 0 THEN f.subject_o
            WHEN grouping(f.not_after_month) = 0 THEN f.not_after_month
            ELSE f.issuer_ca_id::text END AS key,
       count(*) AS certificates,
       count(*) FILTER (WHERE f.is_precertificate) AS precertificates,
       count(DISTINCT f.dedup_key)
           + CASE WHEN grouping(f.kind) = 0 THEN count(*) FILTER (WHERE f.dedup_key IS NULL) ELSE 0 END
           AS deduplicated
FROM (
    SELECT p.issuer_ca_id,
           o.subject_o,
           coalesce(to_char(x509_notAfter(p.certificate), 'YYYY-MM'), 'unparsable') AS not_after_month,
           coalesce(to_char(x509_notBefore(p.certificate), 'YYYY-MM'), 'unparsable') AS not_before_month,
           v.poison AS is_precertificate,
           digest(x509_tbscert_strip_ct_ext(p.certificate), 'sha256') AS dedup_key,  -- 32 bytes to compare, not KBs
           -- c: a CA certificate (crt.sh linked it to a ca row: the hierarchy lists it); u: undecodable
           -- (x509_hasExtension is NULL only then); x: its EKU rules out TLS servers; s: a TLS server certificate
           CASE WHEN EXISTS (SELECT 1 FROM ca_certificate cac WHERE cac.certificate_id = p.id) THEN 'c'
                WHEN v.poison IS NULL THEN 'u'
                WHEN NOT coalesce(x509_isEKUPermitted(p.certificate, '1.3.6.1.5.5.7.3.1'), FALSE) THEN 'x'
                ELSE 's' END AS kind,
           -- '' not revoked; '?' revoked, no date; 'YYYY-MM-DD' revoked at that midnight; 'YYYY-MM-DD+' later that day
           CASE WHEN r.revoked IS NULL THEN ''
                WHEN r.revocation_date IS NULL THEN '?'
                ELSE to_char(r.revocation_date, 'YYYY-MM-DD')
                     || CASE WHEN r.revocation_date = date_trunc('day', r.revocation_date) THEN '' ELSE '+' END
                END AS revoked,
           -- the zone of every DNS SAN (or, without any, 'c' + the zone of a host-name subject CN), sorted, once each
           coalesce(zs.zones, ARRAY[]::text[]) AS zones
    FROM (
        SELECT c.id, c.issuer_ca_id, c.certificate
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
    LEFT JOIN LATERAL (
        SELECT TRUE AS revoked, cr.revocation_date
        FROM crl_revoked cr
        WHERE cr.ca_id = p.issuer_ca_id AND cr.serial_number = x509_serialNumber(p.certificate)
    ) r ON TRUE
    -- OFFSET 0: computed once per row (inlined, the planner would call x509_altNames once per use of sans)
    CROSS JOIN LATERAL (
        SELECT x509_hasExtension(p.certificate, '1.3.6.1.4.1.11129.2.4.3', TRUE) AS poison,
               ARRAY(SELECT a.value FROM x509_altNames(p.certificate, 2) AS a(value)) AS sans
        OFFSET 0
    ) v
    -- A name's zone: its last label, with the label before it when the last has 2 characters (a country code) and
    -- that one at most 4 ('gouv.fr', 'co.uk', but 'fr' for 'example.fr'); '=' + zone when the name is the zone
    -- itself, '.' + zone when it lies below it. Names are case-folded and lose one trailing dot, as the client's;
    -- the subject CN stands in only without DNS SANs and only when it is a host name (syntax; the client checks
    -- the Public Suffix List part).
    LEFT JOIN LATERAL (
        SELECT array_agg(DISTINCT z.token COLLATE "C" ORDER BY z.token COLLATE "C") AS zones  -- any server, one order
        FROM unnest(CASE WHEN cardinality(v.sans) > 0 THEN v.sans
                         ELSE ARRAY[x509_commonName(p.certificate)] END) AS a(value)
        CROSS JOIN LATERAL (SELECT regexp_replace(lower(a.value), '\.$', '') AS n) nn
        CROSS JOIN LATERAL (SELECT string_to_array(nn.n, '.') AS l) ll
        CROSS JOIN LATERAL (
            SELECT CASE WHEN cardinality(ll.l) >= 2 AND char_length(ll.l[cardinality(ll.l)]) = 2
                             AND char_length(ll.l[cardinality(ll.l) - 1]) <= 4
                        THEN ll.l[cardinality(ll.l) - 1] || '.' || ll.l[cardinality(ll.l)]
                        ELSE coalesce(ll.l[cardinality(ll.l)], '') END AS zone
        ) zz
        CROSS JOIN LATERAL (
            SELECT CASE WHEN cardinality(v.sans) > 0 THEN '' ELSE 'c' END
                   || CASE WHEN nn.n = zz.zone THEN '=' ELSE '.' END || zz.zone AS token
        ) z
        WHERE cardinality(v.sans) > 0
           OR (nn.n ~ '^(\*\.)?[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*\n?$'
               AND regexp_replace(nn.n, '^\*\.', '') !~ '^[0-9]{1,3}(\.[0-9]{1,3}){3}\n?$')
    ) zs ON TRUE
) f
GROUP BY GROUPING SETS ((f.subject_o), (f.not_after_month), (f.issuer_ca_id),
                        (f.issuer_ca_id, f.kind, f.not_before_month, f.not_after_month, f.revoked, f.zones))
ORDER BY 1, 2
