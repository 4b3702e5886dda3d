"""The registrable-domain rule (analysis.normalise._PublicSuffixes) gives tldextract's answer on every name.

The library walks its own trie of tldextract's bundled rules for names of lower-case ASCII labels; these tests hold
it equal to tldextract itself (the definition of the rule) on names built from every rule of the list, wildcards
and exceptions included, and on random names: unknown suffixes, digits, underscores, hyphens, punycode, one label.
"""

from __future__ import annotations

import random

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
