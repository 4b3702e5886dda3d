"""The registrable-domain rule (analysis.normalise._PublicSuffixes) gives tldextract's answer on every name.

The library walks its own trie of tldextract's bundled rules for names of lower-case ASCII labels; these tests hold
it equal to tldextract itself (the definition of the rule) on names built from every rule of the list, wildcards
and exceptions included, and on random names: unknown suffixes, digits, underscores, hyphens, punycode, one label.
"""

from __future__ import annotations

import random

import numpy as np

from analysis import normalise as nm


def _tldextract(ext, name: str) -> str:
    r = ext(name)
    return "unknown_suffix" if not r.suffix else "public_suffix" if not r.domain else f"{r.domain}.{r.suffix}"


def test_every_rule_of_the_list():
    ext = nm._extractor()
    psl = nm._PublicSuffixes()
    rules = list(ext.tlds)
    assert len(rules) > 5000 and any(r.startswith("*.") for r in rules) and any(r.startswith("!") for r in rules)
    for rule in rules:
        base = rule.lstrip("!").removeprefix("*.")
        for name in (base, f"a.{base}", f"b.a.{base}", f"city.{base}", f"www.{base}", f"x.www.{base}"):
            assert psl.registrable(name) == _tldextract(ext, name), name


def test_random_names():
    ext = nm._extractor()
    psl = nm._PublicSuffixes()
    rng = random.Random(14)
    tails = [r.lstrip("!").removeprefix("*.") for r in rng.sample(list(ext.tlds), 400)]
    tails += ["fr", "gouv.fr", "co.uk", "internal", "local", "kawasaki.jp", "city.kawasaki.jp", "ck", "www.ck",
              "xn--p1ai", "com", "1", "a-b", "_tcp"]
    labels = ["www", "a", "mail", "x1", "_dmarc", "a-b", "xn--bcher-kva", "0", "123", "city", "www", "b_c", "-a",
              "é", "A"]
    names = set()
    for _ in range(20_000):
        parts = [rng.choice(labels) for _ in range(rng.randint(0, 3))]
        names.add(".".join(parts + [rng.choice(tails)]))
    names |= {"localhost", "fr", "gouv.fr", "a.fr", "10.0.0.1", "a..fr", "a.fr.", "", "*.a.fr"}
    for name in sorted(names):
        assert psl.registrable(name) == _tldextract(ext, name), name


def _checked_in_order(name: str) -> tuple[bool, str | None, str | None]:
    """The name checks one by one, in their order of precedence (the rule as written in docs/rules.md)."""
    wild = name.startswith("*.")
    base = name[2:] if wild else name
    if not name:
        return wild, "empty", None
    if nm._SPACE.search(name):
        return wild, "space", None
    if nm._IP.match(base):
        return wild, "ip_address", None
    if not nm._HOSTNAME.match(name):
        return wild, "invalid_characters", None
    outcome = nm._PublicSuffixes().registrable(base)
    return (wild, outcome, None) if outcome in ("unknown_suffix", "public_suffix") else (wild, None, outcome)


def test_name_checks_fast_path_as_the_checks_in_order():
    """Names of plain hostname syntax skip the checks they cannot fail; every verdict stays the one the checks in
    order give, on names at each check's edge (a trailing newline, dotted quads, IPv6, wildcards, punycode)."""
    names = ["", " ", "a.fr", "a.fr\n", "a .fr", "\ta.fr", "1.2.3.4", "*.1.2.3.4", "1.2.3.4.5", "999.1.1.1",
             "1.2.3", "123.com", "::1", "a:b.fr", "fe80::1%eth0", "*.gouv.fr", "gouv.fr", "*.a.gouv.fr", "*",
             "*.", "*.*.a.fr", "a..fr", ".a.fr", "a.fr.", "-a.fr", "a-.fr", "a_b.fr", "_dmarc.a.fr",
             "xn--bcher-kva.de", "*.xn--bcher-kva.de", "école.fr", "a.internal", "localhost", "a" * 63 + ".fr",
             "a" * 64 + ".fr", "a.b.c.d.e.fr", "www.city.kawasaki.jp", "a.ck", "www.ck", "a/b.fr", "a.fr\x00"]
    got = nm._domains_of_normalised(np.array(names, dtype=object))
    got = got.astype(object).where(got.notna(), None)
    for i, name in enumerate(names):
        wild, issue, domain = _checked_in_order(name)
        assert (got["is_wildcard"][i], got["name_issue"][i], got["registrable_domain"][i]) == (wild, issue, domain), \
            repr(name)
