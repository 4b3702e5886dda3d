-- name: certificate_counts_by_month
-- purpose: How many of one CA's certificates unexpired at as_of fall in each notAfter month, inside a window of the
--          partition key. The client plans its pages from these counts (a page = a window [start, end) holding at
--          most page_size rows; a month over the limit is bisected with this same query on a narrower window).
--          Without parsing the rows: the months that hold rows are found by a skip scan of the index (the first key
--          at or after the start of each next month: one probe per non-empty month, recursive CTE), and each month
--          is counted by count(*) over its key range, which the index answers without evaluating x509_notAfter on
--          any row (a GROUP BY date_trunc('month', key) would call it once per row).
-- param: issuer_ca_id  integer    crt.sh ca.id of the issuing CA
-- param: as_of         timestamp  UTC, naive
-- param: window_start  timestamp  UTC, naive, inclusive
-- param: window_end    timestamp  UTC, naive, exclusive; NULL = no upper bound
-- row: one month: month_start (UTC, naive; NULL = the 'infinity' key of certificates whose notAfter cannot be
--      parsed) and the number of certificate rows
-- indexes: certificate c_ica_notafter + partition pruning (the partition-key expression verbatim, in every
--          subquery): min() of the key as an ordered index probe (LIMIT 1), count(*) as an index range scan; the
--          'infinity' month as an equality on the key. Month bounds that come from the recursion prune partitions
--          at run time; as_of and the window prune them at plan time.
WITH RECURSIVE months (month_start) AS (
    SELECT date_trunc('month', (
        SELECT min(coalesce(x509_notAfter(c.certificate), 'infinity'::timestamp))
        FROM certificate c
        WHERE c.issuer_ca_id = %(issuer_ca_id)s::integer
          AND coalesce(x509_notAfter(c.certificate), 'infinity'::timestamp) >= %(as_of)s::timestamp
          AND coalesce(x509_notAfter(c.certificate), 'infinity'::timestamp) >= %(window_start)s::timestamp
          AND (%(window_end)s::timestamp IS NULL
               OR coalesce(x509_notAfter(c.certificate), 'infinity'::timestamp) < %(window_end)s::timestamp)))
  UNION ALL
    SELECT date_trunc('month', (
        SELECT min(coalesce(x509_notAfter(c.certificate), 'infinity'::timestamp))
        FROM certificate c
        WHERE c.issuer_ca_id = %(issuer_ca_id)s::integer
          AND coalesce(x509_notAfter(c.certificate), 'infinity'::timestamp) >= %(as_of)s::timestamp
          AND coalesce(x509_notAfter(c.certificate), 'infinity'::timestamp) >= %(window_start)s::timestamp
          AND (%(window_end)s::timestamp IS NULL
               OR coalesce(x509_notAfter(c.certificate), 'infinity'::timestamp) < %(window_end)s::timestamp)
          AND coalesce(x509_notAfter(c.certificate), 'infinity'::timestamp) >= m.month_start + interval '1 month'))
    FROM months m
    WHERE m.month_start < 'infinity'::timestamp
)
SELECT nullif(m.month_start, 'infinity'::timestamp) AS month_start,
       CASE WHEN m.month_start = 'infinity'::timestamp THEN (
           SELECT count(*)
           FROM certificate c
           WHERE c.issuer_ca_id = %(issuer_ca_id)s::integer
             AND coalesce(x509_notAfter(c.certificate), 'infinity'::timestamp) >= %(as_of)s::timestamp
             AND coalesce(x509_notAfter(c.certificate), 'infinity'::timestamp) >= %(window_start)s::timestamp
             AND (%(window_end)s::timestamp IS NULL
                  OR coalesce(x509_notAfter(c.certificate), 'infinity'::timestamp) < %(window_end)s::timestamp)
             AND coalesce(x509_notAfter(c.certificate), 'infinity'::timestamp) = 'infinity'::timestamp)
       ELSE (
           SELECT count(*)
           FROM certificate c
           WHERE c.issuer_ca_id = %(issuer_ca_id)s::integer
             AND coalesce(x509_notAfter(c.certificate), 'infinity'::timestamp) >= %(as_of)s::timestamp
             AND coalesce(x509_notAfter(c.certificate), 'infinity'::timestamp) >= %(window_start)s::timestamp
             AND (%(window_end)s::timestamp IS NULL
                  OR coalesce(x509_notAfter(c.certificate), 'infinity'::timestamp) < %(window_end)s::timestamp)
             AND coalesce(x509_notAfter(c.certificate), 'infinity'::timestamp) >= m.month_start
             AND coalesce(x509_notAfter(c.certificate), 'infinity'::timestamp) < m.month_start + interval '1 month')
       END AS certificates
FROM months m
WHERE m.month_start IS NOT NULL
ORDER BY 1 NULLS LAST
