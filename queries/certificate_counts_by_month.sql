-- name: certificate_counts_by_month
-- purpose: How many of one CA's certificates unexpired at as_of fall in each notAfter month, inside a window of the
--          partition key. The client plans its pages from these counts (a page = a window [start, end) holding at
--          most page_size rows; a month over the limit is bisected with this same query on a narrower window).
-- param: issuer_ca_id  integer    crt.sh ca.id of the issuing CA
-- param: as_of         timestamp  UTC, naive
-- param: window_start  timestamp  UTC, naive, inclusive
-- param: window_end    timestamp  UTC, naive, exclusive; NULL = no upper bound
-- row: one month: month_start (UTC, naive; NULL = the 'infinity' key of certificates whose notAfter cannot be
--      parsed) and the number of certificate rows
-- indexes: certificate c_ica_notafter + partition pruning (the partition-key expression verbatim); one x509_notAfter
--          call per row and no other x509_* function
SELECT nullif(date_trunc('month', k.not_after_key), 'infinity'::timestamp) AS month_start,
       count(*) AS certificates
FROM (
    SELECT coalesce(x509_notAfter(c.certificate), 'infinity'::timestamp) AS not_after_key
    FROM certificate c
    WHERE c.issuer_ca_id = %(issuer_ca_id)s::integer
      AND coalesce(x509_notAfter(c.certificate), 'infinity'::timestamp) >= %(as_of)s::timestamp
      AND coalesce(x509_notAfter(c.certificate), 'infinity'::timestamp) >= %(window_start)s::timestamp
      AND (%(window_end)s::timestamp IS NULL
           OR coalesce(x509_notAfter(c.certificate), 'infinity'::timestamp) < %(window_end)s::timestamp)
    OFFSET 0
) k
GROUP BY 1
ORDER BY 1 NULLS LAST
