"""Root programs compared on a handful of leaves built in memory (analysis.programs) and the --programs argument;
the demo population compared program by program is in tests/integration/test_programs.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import presets, programs
from analysis.frames import CERTIFICATES
from analysis.normalise import normalise

GEOTRUST_GLOBAL = "FF856A2D251DCD88D36656F450126798CFABAADE40799C722DE4D2B5DB36A73A"


def _symantec_population():
    """Five leaves under a (fictional) issuing CA of GeoTrust Global CA: notBefore before/after 2016-06-01, expiring
    before or after 2018-10-16."""
    rows = [("2015-09-01", "2018-09-30"),   # old, expires before Chrome 70: broken by Chrome 66 (2018-04-17)
            ("2016-03-01", "2019-03-01"),   # old: broken by Chrome 66
            ("2016-08-01", "2018-10-15"),   # new, expires the day before Chrome 70: never broken
            ("2017-01-01", "2019-06-01"),   # new: broken only by Chrome 70 (2018-10-16)
            ("2018-06-01", "2020-06-01")]   # issued after 2017-12-01: broken by Chrome 66 from its notBefore
    n = len(rows)
    frame = CERTIFICATES.frame({
        "certificate_id": np.arange(1, n + 1, dtype=np.int64), "issuer_ca_id": np.full(n, 424242, dtype=np.int64),
        "issuer_name": "CN=Example Symantec-era CA", "sha256": [f"{i:064X}" for i in range(n)],
        "serial_number": [f"{i:02x}" for i in range(n)],
        "not_before": pd.to_datetime([r[0] for r in rows]), "not_after": pd.to_datetime([r[1] for r in rows]),
        "subject_o": [f"Org {i}" for i in range(n)], "subject_cn": [f"h{i}.example.com" for i in range(n)],
        "dns_names": [[f"h{i}.example{i}.com"] for i in range(n)], "policy_oids": [[] for _ in range(n)],
        "is_precertificate": False, "is_server_auth": True, "dedup_key": [f"{i:064X}" for i in range(n)],
        "parse_error": None,
    })
    return normalise(frame)


def test_symantec_the_day_before_and_after_chrome_70():
    """Chrome 66 and 70 were announced together on 2017-09-11 (Google Security Blog): the day before Chrome 70
    shipped, the analysis already knew it was coming (breaking the 2017 certificate on 2018-10-16), so both days
    answer the same. The announcements themselves change the answer: Chrome on 2017-09-11, and Mozilla's move of the
    full distrust to Firefox 64 on 2018-10-10 (before it, only Firefox 60's notBefore rule had a dated release)."""
    norm = _symantec_population()
    record = presets.actual_record([GEOTRUST_GLOBAL])

    def table(day):
        return programs.compare_programs(norm, record, ["Chrome", "Mozilla"], as_of=day).table.set_index("metric")

    b, a = table("2018-10-15"), table("2018-10-17")
    # leaves 1, 2 (notBefore before 2016-06-01: Chrome 66), 4 (Chrome 70) and 5 (issued after 2017-12-01: Chrome 66
    # from its notBefore); leaf 3 expires the day before Chrome 70
    assert b["Chrome"].tolist()[1:] == a["Chrome"].tolist()[1:] == [4, 4, 4, 0, "2018-04-17", "2020-06-01"]
    assert b["Mozilla"].tolist()[1:] == a["Mozilla"].tolist()[1:] == [4, 4, 4, 0, "2018-05-09", "2020-06-01"]
    assert table("2017-09-10")["Chrome"].tolist() == [programs.NO_ACTION, 0, 0, 0, 0, "-", "-"]
    # on 2017-09-12 leaf 5 (issued 2018-06-01) does not exist yet: leaves 1, 2 and 4
    assert table("2017-09-12")["Chrome"].tolist()[1:] == [3, 3, 3, 0, "2018-04-17", "2019-06-01"]
    assert table("2018-10-09")["Mozilla"].tolist() == ["before 2016-06-01", 2, 2, 2, 0, "2018-05-09", "2019-03-01"]
    assert table("2018-10-11")["Mozilla"].tolist()[0] == "before 2016-06-01 + removed 2018-12-11"

def test_programs_argument():
    assert programs.parse_programs("all") == ["Mozilla", "Chrome", "Apple", "Microsoft"]
    assert programs.parse_programs(" chrome, Mozilla,chrome") == ["Chrome", "Mozilla"]
    with pytest.raises(ValueError, match="unknown root program 'safari'; choose from all, mozilla, chrome"):
        programs.parse_programs("mozilla,safari")
