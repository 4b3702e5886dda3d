"""Seeded synthetic demo population: real DER certificates under a *fictional* CA hierarchy.

The population imitates the shape of the seed case (Certinomis, as seen on 2019-05-17, see
``docs/rules.md``, "The seed case") so that the whole pipeline -- local crt.sh-compatible database, queries, impact
library, notebooks -- can be exercised offline on data whose right answers are known:

* a "Demo Root CA", cross-signed by a second fictional root (same subject and key, so crt.sh would give the
  cross-certificate the root's ``ca`` row), and three intermediates "Demo DV/OV/EV CA";
* about 1,400 issuances unexpired on 2019-05-17, plus ones that had already expired, ones issued after
  2019-05-17 (up to 2019-08-31) and ones expiring on or before 2019-08-31, so that every analysis filter matters;
* ~120 organisations with a heavy head (fictional ministries and companies) and DV certificates without O=;
* precertificate + final certificate pairs (same TBSCertificate apart from the RFC 6962 CT extensions, with
  genuinely signed SCTs from fictional logs), orphan precertificates and final certificates logged without one;
* revocations, CT log entries, and the oddities of the real thread (a space in a SAN, an internal TLD, non-ASCII
  O=, an IPv6 SAN, a duplicated SAN, serials with the high bit set).

Every name says it is synthetic (O="Distrust Impact Demo (synthetic)", URLs under the reserved ``.example``
TLD, ``2001:db8::/32`` documentation addresses). The certificates are not trusted by anything.

Determinism is the contract: the same seed writes byte-identical files. All choices come from one
``random.Random(seed)``; private keys are derived from a hash of the seed and a label; ECDSA signatures use
RFC 6979 deterministic nonces (cryptography >= 44). All random choices are made in :func:`plan_population`
before anything is signed, so :func:`expected_counts` gives the ground truth without building certificates.

Files written by :func:`generate` (the contract is in ``docs/design.md``, "Demo population files")::

    certs/<SHA256>.der      every certificate (roots, cross-sign, intermediates, final certificates, precerts)
    revocations.csv         certificate_sha256,revocation_date,reason_code   (one row per revoked issuance)
    ct_logs.csv             id,operator,url,name
    ct_log_entries.csv      certificate_sha256,ct_log_id,entry_id,entry_timestamp
    truth.csv               one row per certificate file: what the generator intended
    manifest.json           seed, generator version, counts and the expected headline numbers

Timestamps in the CSV files are ISO 8601 UTC with a ``Z`` suffix.

Over 500 lines on purpose: the plan (every random choice) and the certificate builders must stay together, since
the determinism contract depends on the order in which they draw from the one ``random.Random``; splitting them
would make a reordering (and a silently different population) easy.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import inspect
import io
import ipaddress
import json
import random
import struct
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from analysis.config import CT_SCT_LIST_OID
from analysis.files import atomic_write_bytes

__all__ = [
    "AS_OF",
    "DEFAULT_SEED",
    "EXPIRY_CUTOFF",
    "GENERATOR_VERSION",
    "expected_counts",
    "generate",
    "plan_population",
]

GENERATOR_VERSION = "1"
DEFAULT_SEED = 20190517

UTC = UTC
# The seed case's snapshot date and the two analysis filters asked for in the thread.
AS_OF = datetime(2019, 5, 17, tzinfo=UTC)
EXPIRY_CUTOFF = datetime(2019, 8, 31, 23, 59, 59, tzinfo=UTC)  # "expires on or before 2019-08-31" (end of day)

# No date is drawn inside these windows, so "unexpired on", "issued after" and "on or before" give the same answer
# whether a consumer compares instants or calendar dates, with < or <=: the ground truth cannot be off by one.
_NOT_BEFORE_GUARD = (datetime(2019, 5, 17, tzinfo=UTC), datetime(2019, 5, 19, tzinfo=UTC))
_NOT_AFTER_GUARDS = (
    (datetime(2019, 5, 16, tzinfo=UTC), datetime(2019, 5, 19, tzinfo=UTC)),
    (datetime(2019, 8, 30, tzinfo=UTC), datetime(2019, 9, 2, tzinfo=UTC)),
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ISSUE_START = datetime(2016, 1, 4, tzinfo=UTC)
_PRE_ISSUE_END = datetime(2019, 5, 16, 18, 0, tzinfo=UTC)
_POST_ISSUE_START = datetime(2019, 5, 19, tzinfo=UTC)
_POST_ISSUE_END = datetime(2019, 8, 31, 18, 0, tzinfo=UTC)
# CA/B Forum Ballot 193: certificates issued from 2018-03-01 are limited to 825 days (39 months before that).
_BALLOT_193 = datetime(2018, 3, 1, tzinfo=UTC)
# Chrome's CT requirement for all new certificates (notBefore >= 2018-04-30) made precertificates the norm.
_CHROME_CT_REQUIRED = datetime(2018, 4, 30, tzinfo=UTC)

TARGET_UNEXPIRED = 1400  # issuances unexpired on AS_OF (Certinomis: ~1,381)
POST_AS_OF_ISSUANCES = 150  # issued 2019-05-19 .. 2019-08-31, roughly the issuance rate before AS_OF
NO_O_SHARE = 0.24  # DV certificates carry no O= (BR 7.1.4.2.2)
LEAF_KEY_POOL = 24  # leaf keys are reused: generating one key per certificate is needless work

SYNTHETIC_O = "Distrust Impact Demo (synthetic)"
POLICY_DV, POLICY_OV, POLICY_EV = "2.23.140.1.2.1", "2.23.140.1.2.2", "2.23.140.1.1"
_LEVEL_POLICY = {"DV": POLICY_DV, "OV": POLICY_OV, "EV": POLICY_EV}
# The fictional CA's own CPS policy OID, in the UUID arc (ITU-T X.667) so it can clash with nothing real.
_DEMO_CPS_OID = "2.25." + str(int.from_bytes(hashlib.sha256(b"distrust-impact-demo-cps").digest()[:16], "big"))

# ---------------------------------------------------------------------------------------------------------------
# The fictional hierarchy
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _CASpec:
    label: str
    kind: str  # root | cross | intermediate
    cn: str
    key_label: str  # which derived key the certificate certifies (the cross-sign certifies the Demo Root key)
    issuer: str  # label of the issuing CA certificate
    not_before: datetime
    not_after: datetime
    o: str = SYNTHETIC_O


_CAS = (
    _CASpec("root", "root", "Demo Root CA", "root", "root",
            datetime(2008, 9, 17, tzinfo=UTC), datetime(2028, 9, 17, tzinfo=UTC)),
    _CASpec("partner-root", "root", "Demo Partner Root CA", "partner-root", "partner-root",
            datetime(2010, 6, 1, tzinfo=UTC), datetime(2035, 6, 1, tzinfo=UTC),
            o="Distrust Impact Demo Partner (synthetic)"),
    # Same subject name and key as "root", issued by the partner root: an alternate trust path.
    _CASpec("root-cross", "cross", "Demo Root CA", "root", "partner-root",
            datetime(2015, 6, 1, tzinfo=UTC), datetime(2025, 6, 1, tzinfo=UTC)),
    _CASpec("dv", "intermediate", "Demo DV CA", "dv", "root",
            datetime(2015, 1, 15, tzinfo=UTC), datetime(2025, 1, 15, tzinfo=UTC)),
    _CASpec("ov", "intermediate", "Demo OV CA", "ov", "root",
            datetime(2015, 1, 15, tzinfo=UTC), datetime(2025, 1, 15, tzinfo=UTC)),
    _CASpec("ev", "intermediate", "Demo EV CA", "ev", "root",
            datetime(2015, 1, 15, tzinfo=UTC), datetime(2025, 1, 15, tzinfo=UTC)),
)
_CA_BY_LABEL = {ca.label: ca for ca in _CAS}
# Subject name of each CA *key*: the cross-certificate shares the root's.
_CA_NAME_FOR_KEY = {ca.key_label: ca for ca in _CAS if ca.kind != "cross"}


@dataclass(frozen=True)
class _LogSpec:
    id: int
    operator: str
    name: str
    url: str
    shard_year: int | None = None  # temporal shard: accepts only certificates expiring in that year


_ALPHA = "Demo Log Operator Alpha (synthetic)"
_LOGS = (
    _LogSpec(1, _ALPHA, "Demo 'Alpha2018' log", "https://ct.alpha.demo-logs.example/2018/", 2018),
    _LogSpec(2, _ALPHA, "Demo 'Alpha2019' log", "https://ct.alpha.demo-logs.example/2019/", 2019),
    _LogSpec(3, _ALPHA, "Demo 'Alpha2020' log", "https://ct.alpha.demo-logs.example/2020/", 2020),
    _LogSpec(4, _ALPHA, "Demo 'Alpha2021' log", "https://ct.alpha.demo-logs.example/2021/", 2021),
    _LogSpec(5, "Demo Log Operator Beta (synthetic)", "Demo 'Beta' log", "https://beta.demo-logs.example/ct/"),
    _LogSpec(6, "Demo Log Operator Gamma (synthetic)", "Demo 'Gamma' log", "https://gamma.demo-logs.example/"),
)
_LOG_BETA, _LOG_GAMMA = 5, 6
_SHARD_FOR_YEAR = {log.shard_year: log.id for log in _LOGS if log.shard_year}

# ---------------------------------------------------------------------------------------------------------------
# Fictional organisations and names (French-public-sector flavoured, like the seed case)
# ---------------------------------------------------------------------------------------------------------------

_TOWNS = (
    "Démoville", "Testbourg", "Exempleuil", "Saint-Fictif", "Villexemple", "Maquette-sur-Loire",
    "Prototype-les-Bains", "Essai-la-Forêt", "Simulac", "Brouillon-en-Vexin", "Factice-sur-Mer", "Échantillon",
    "Modèle-le-Château", "Pseudoville", "Gabarit", "Épreuve-Sainte-Marie", "Ébauche", "Esquisse-la-Rivière",
    "Canevas", "Patronville", "Spécimen", "Copie-en-Brie",
)
_DEPARTMENTS = (
    "l'Exemple-Maritime", "la Haute-Démo", "l'Essai-et-Loire", "la Maquette-Atlantique", "la Basse-Fiction",
    "l'Ébauche-du-Nord", "la Côte-d'Échantillon", "l'Esquisse-Orientale",
)
_COMPANY_STEMS = (
    "Démotech", "Exemplia", "Fictiva", "Maquettes et Cie", "Testalis", "Prototypex", "Simulia Énergie",
    "Brouillon Assurances", "Échantillons Réunis", "Gabarit Logistique", "Esquisse Immobilier", "Canevas Conseil",
    "Modèle Distribution", "Pseudonyme Banque", "Factice Transports", "Ébauche Informatique", "Épreuve Santé",
    "Patron Mutuelle", "Essai Médias", "Démo Hôtels", "Spécimen Agro", "Copie Conforme Notaires",
)
_COMPANY_FORMS = ("SA", "SAS", "SARL", "SE")
_CITIES = ("Paris", "Lyon", "Nantes", "Rennes", "Lille", "Bordeaux", "Toulouse", "Marseille", "Strasbourg", "Dijon")
_HOST_LABELS = (
    "www", "portail", "extranet", "api", "webmail", "mail", "vpn", "sso", "auth", "teleservices", "demarches",
    "rdv", "espace-agents", "recrutement", "static", "ged", "ws", "preprod", "recette", "statistiques", "annuaire",
    "intranet", "cloud", "boutique", "client", "espace-client", "paiement", "m", "assistance", "formation",
)
_AREAS = ("paris", "lyon", "lille", "nantes", "rennes", "dijon", "metz", "caen", "pau", "nice")
_DV_STEMS = (
    "atelier", "boulangerie", "cabinet", "garage", "gite", "studio", "ferme", "librairie", "pharmacie", "camping",
    "asso", "club", "photo", "cave", "menuiserie", "salon", "auberge", "jardin", "musique", "taxi",
)


@dataclass(frozen=True)
class Organisation:
    name: str  # subject O= exactly as encoded (UTF8String)
    sector: str  # "public" | "company"
    domains: tuple[str, ...]  # registrable domains it uses; the first is its main one
    city: str
    ev: bool  # buys EV certificates
    siren: str  # fictional registration number, for EV serialNumber= and OU=
    weight: float  # relative issuance volume


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    out = "".join(ch if ch.isalnum() else "-" for ch in ascii_text)
    return "-".join(part for part in out.split("-") if part)


def _head_organisations() -> list[Organisation]:
    """The heavy head: a few groups holding hundreds of certificates, as in the seed case."""
    return [
        Organisation("Ministère de l'Exemple", "public", ("exemple.gouv.fr", "exemple-services.fr"),
                     "Paris", False, "110000001", 300.0),
        Organisation("Ministère des Démonstrations", "public", ("demonstrations.gouv.fr",),
                     "Paris", False, "110000002", 170.0),
        Organisation("Société Générale d'Exemple", "company", ("sg-exemple.fr", "sg-exemple.com"),
                     "Paris", True, "552000003", 110.0),
        Organisation("Caisse Nationale d'Exemple", "public", ("caisse-exemple.fr",),
                     "Lyon", False, "180000004", 80.0),
        Organisation("Exemple Télécom SA", "company", ("exemple-telecom.fr", "exemple-telecom.com"),
                     "Rennes", True, "380000005", 60.0),
        Organisation("Direction des Finances Fictives", "public", ("finances-fictives.gouv.fr",),
                     "Paris", False, "110000006", 45.0),
        Organisation("Assistance Publique – Hôpitaux de Démoville", "public", ("hopitaux-demoville.fr",),
                     "Démoville", False, "260000007", 35.0),
    ]


def _of(place: str) -> str:
    """French elision: "de Démoville" but "d'Ébauche"."""
    return f"d'{place}" if unicodedata.normalize("NFKD", place)[0] in "AEIOUH" else f"de {place}"


def _tail_candidates() -> list[tuple[str, str, str]]:
    """(name, sector, main domain) for the long tail: local authorities, hospitals, universities, companies."""
    out: list[tuple[str, str, str]] = []
    for town in _TOWNS:
        s = _slug(town)
        out += [
            (f"Mairie {_of(town)}", "public", f"mairie-{s}.fr"),
            (f"Centre Hospitalier {_of(town)}", "public", f"ch-{s}.fr"),
            (f"Chambre de Commerce et d'Industrie {_of(town)}", "public", f"cci-{s}.fr"),
        ]
    for town in _TOWNS[:12]:
        out.append((f"Université {_of(town)}", "public", f"univ-{_slug(town)}.fr"))
    for dept in _DEPARTMENTS:
        s = _slug(dept.replace("l'", "").replace("la ", ""))
        out += [
            (f"Préfecture de {dept}", "public", f"{s}.gouv.fr"),  # prefectures live under gouv.fr
            (f"Conseil Départemental de {dept}", "public", f"cd-{s}.fr"),
        ]
    for i, stem in enumerate(_COMPANY_STEMS):
        for j, town in enumerate(_TOWNS[i % 5:: 5][:2]):
            form = _COMPANY_FORMS[(i + j) % len(_COMPANY_FORMS)]
            name = f"{stem} {form}" if j == 0 else f"{stem} {town} {form}"
            out.append((name, "company", f"{_slug(name.rsplit(' ', 1)[0])}.{('fr', 'com')[(i + j) % 2]}"))
    return out


def _make_organisations(rng: random.Random, n_unexpired: int = 120, n_former: int = 10):
    """Return (organisations with unexpired certificates on AS_OF, former customers with only expired ones)."""
    head = _head_organisations()
    candidates = _tail_candidates()
    rng.shuffle(candidates)
    tail = []
    for rank, (name, sector, domain) in enumerate(candidates[: n_unexpired - len(head) + n_former]):
        ev = sector == "company" and rng.random() < 0.3
        extra = (domain.rsplit(".", 1)[0] + ".com",) if sector == "company" and rng.random() < 0.3 else ()
        tail.append(Organisation(
            name, sector, (domain, *extra), rng.choice(_CITIES), ev, f"{rng.randrange(10**8, 10**9)}",
            # Zipf-like tail: a few dozen certificates for the biggest, one or two for most.
            weight=28.0 / (rank + 1) ** 0.9,
        ))
    unexpired = head + tail[: n_unexpired - len(head)]
    former = tail[n_unexpired - len(head):]
    return unexpired, former


def _dv_domains(rng: random.Random, n: int = 260) -> list[str]:
    combos = [f"{stem}-{_slug(town)}" for stem in _DV_STEMS for town in _TOWNS]
    rng.shuffle(combos)
    tlds = ("fr",) * 7 + ("com", "eu", "net")
    return [f"{c}.{rng.choice(tlds)}" for c in combos[:n]]


# ---------------------------------------------------------------------------------------------------------------
# The plan: every random choice, made before anything is signed
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class Issuance:
    """One issuance: a precertificate and/or its final certificate (crt.sh de-duplicates them to one)."""

    issuance_id: int
    level: str  # DV | OV | EV; also names the issuing intermediate
    organisation: Organisation | None
    ou: str | None
    dns_names: list[str]
    ip_addresses: list[str]
    serial: int
    not_before: datetime
    not_after: datetime
    logging: str  # pair | orphan_precert | final_only
    key_index: int
    revocation_date: datetime | None = None
    reason_code: int | None = None
    precert_entries: list[tuple[int, datetime]] = field(default_factory=list)  # (ct_log_id, timestamp)
    final_entries: list[tuple[int, datetime]] = field(default_factory=list)
    oddities: list[str] = field(default_factory=list)

    @property
    def issuer_label(self) -> str:
        return self.level.lower()

    @property
    def has_precert(self) -> bool:
        return self.logging in ("pair", "orphan_precert")

    @property
    def has_final(self) -> bool:
        return self.logging in ("pair", "final_only")


@dataclass
class Population:
    seed: int
    issuances: list[Issuance]
    organisations: list[Organisation]
    # (ct_log_id, timestamp, owner) for CA certificates: owner is the CA label
    ca_entries: list[tuple[int, datetime, str]]
    # entry_id per (owner, role, ct_log_id); owner is an issuance id or a CA label, role "precert" | "final" | "ca"
    entry_ids: dict[tuple[object, str, int], int]


def _in_any(t: datetime, windows) -> bool:
    return any(lo <= t < hi for lo, hi in windows)


def _draw_validity(rng: random.Random, not_before: datetime) -> timedelta:
    # 1-3 years before Ballot 193; at most 825 days after it.
    if not_before < _BALLOT_193:
        days = rng.choices((365, 730, 1095), weights=(45, 35, 20))[0]
    else:
        days = rng.choices((365, 730, 825), weights=(55, 35, 10))[0]
    return timedelta(days=days)


def _draw_not_before(rng: random.Random, lo: datetime, hi: datetime, growing: bool) -> datetime:
    span = (hi - lo).total_seconds()
    # A growing CA: issuance density rises over time (sqrt of a uniform gives a linearly rising density),
    # with a uniform floor so 2016 is not empty.
    u = rng.random()
    if growing and rng.random() < 0.75:
        u = u ** 0.5
    t = lo + timedelta(seconds=int(u * span))
    # Office hours in UTC, to the second.
    return t.replace(hour=rng.randrange(6, 18), minute=rng.randrange(60), second=rng.randrange(60))


def _draw_dates(rng: random.Random):
    """Draw (not_before, not_after) pairs until TARGET_UNEXPIRED are unexpired on AS_OF; the expired ones drawn on
    the way are kept, so their number follows from the issuance curve and validity mix rather than a quota."""
    unexpired, expired = [], []
    while len(unexpired) < TARGET_UNEXPIRED:
        nb = _draw_not_before(rng, _ISSUE_START, _PRE_ISSUE_END, growing=True)
        na = nb + _draw_validity(rng, nb)
        if _in_any(na, _NOT_AFTER_GUARDS) or nb >= _NOT_BEFORE_GUARD[0]:
            continue
        (unexpired if na > AS_OF else expired).append((nb, na))
    post = []
    while len(post) < POST_AS_OF_ISSUANCES:
        nb = _draw_not_before(rng, _POST_ISSUE_START, _POST_ISSUE_END, growing=False)
        post.append((nb, nb + _draw_validity(rng, nb)))
    return unexpired, expired, post


def _org_hostname(rng: random.Random, org: Organisation, domain: str, wildcard: bool) -> str:
    big = org.weight >= 40
    if wildcard:
        return f"*.{domain}" if rng.random() < 0.6 else f"*.{rng.choice(_AREAS if big else _HOST_LABELS)}.{domain}"
    r = rng.random()
    if r < 0.12:
        return domain
    if big and r < 0.40:
        return f"{rng.choice(_HOST_LABELS)}.{rng.choice(_AREAS)}.{domain}"
    return f"{rng.choice(_HOST_LABELS)}.{domain}"


def _org_names(rng: random.Random, org: Organisation, level: str) -> list[str]:
    n = rng.choices((1, 2, 3, 4, 5, 6, 8, 10, 14), weights=(52, 22, 8, 5, 4, 3, 2, 2, 2))[0]
    # EV Guidelines 9.8.1: no wildcards in EV certificates.
    wildcard = level != "EV" and rng.random() < 0.08
    names: list[str] = []
    for i in range(n * 3):  # bounded: small organisations may run out of distinct names
        if len(names) == n:
            break
        # Mostly the main domain; secondary domains mix into multi-SAN certificates (gouv.fr + .fr, say).
        secondary = i > 0 and len(org.domains) > 1 and rng.random() >= 0.7
        domain = rng.choice(org.domains[1:]) if secondary else org.domains[0]
        name = _org_hostname(rng, org, domain, wildcard and i == 0)
        if name not in names:
            names.append(name)
    return names


def _dv_names(rng: random.Random, domain: str) -> list[str]:
    r = rng.random()
    if r < 0.70:
        return [domain, f"www.{domain}"]
    if r < 0.80:
        return [f"www.{domain}"]
    if r < 0.95:
        return [f"{rng.choice(_HOST_LABELS)}.{domain}"]
    return [f"*.{domain}", domain]


def _draw_serial(rng: random.Random, used: set[int], high_bit: bool) -> int:
    # 16-byte serials (BR 7.1: >= 64 bits of CSPRNG output). Most keep the top bit clear; some set it, which makes
    # the DER INTEGER gain a leading 00 byte -- the form crt.sh's x509_serialNumber returns.
    while True:
        s = rng.getrandbits(128) | (1 << 127) if high_bit else rng.getrandbits(127) | (1 << 120)
        if s not in used:
            used.add(s)
            return s


def _ms(t: datetime) -> datetime:
    return t.replace(microsecond=(t.microsecond // 1000) * 1000)


def _plan_ct(rng: random.Random, iss: Issuance) -> None:
    """CT log entries: precertificates a few minutes after notBefore in two logs (their SCTs go into the final
    certificate), the final certificate later; final certificates without a precertificate are picked up days later,
    as a crawler would submit them."""
    shard = _SHARD_FOR_YEAR.get(iss.not_after.year, _LOG_GAMMA)
    if iss.has_precert:
        t1 = _ms(iss.not_before + timedelta(seconds=rng.uniform(20, 900)))
        t2 = _ms(t1 + timedelta(seconds=rng.uniform(0.05, 5)))
        iss.precert_entries = [(shard, t1), (_LOG_BETA, t2)]
    if iss.logging == "pair":
        t3 = _ms(iss.precert_entries[-1][1] + timedelta(seconds=rng.uniform(60, 2 * 86400)))
        iss.final_entries = [(rng.choice((shard, _LOG_BETA)), t3)]
        # Sometimes a crawler submits it again later, to a log that does not have it yet.
        crawler_log = _LOG_GAMMA if iss.final_entries[0][0] != _LOG_GAMMA else _LOG_BETA
        if rng.random() < 0.2:
            iss.final_entries.append((crawler_log, _ms(t3 + timedelta(days=rng.uniform(1, 30)))))
    elif iss.logging == "final_only":
        t3 = _ms(iss.not_before + timedelta(seconds=rng.uniform(3600, 20 * 86400)))
        iss.final_entries = [(_LOG_GAMMA, t3)]
        if rng.random() < 0.3:
            iss.final_entries.append((_LOG_BETA, _ms(t3 + timedelta(days=rng.uniform(1, 60)))))


def _plan_revocation(rng: random.Random, iss: Issuance, probability: float, latest: datetime) -> None:
    if rng.random() >= probability:
        return
    lo, hi = iss.not_before + timedelta(days=1), min(iss.not_after - timedelta(days=1), latest)
    if hi <= lo:
        return
    iss.revocation_date = lo + timedelta(seconds=rng.randrange(int((hi - lo).total_seconds())))
    # CRL reason codes (RFC 5280 5.3.1); None = entry without a reason code (crt.sh stores NULL).
    iss.reason_code = rng.choices((None, 1, 3, 4, 5), weights=(35, 10, 5, 30, 20))[0]


def _force_oddities(rng: random.Random, unexpired: list[Issuance]) -> None:
    """The real thread's oddities, each on its own unexpired, unrevoked OV pair that stays in scope."""
    pool = [i for i in unexpired if i.level == "OV" and i.logging == "pair" and i.not_after > EXPIRY_CUTOFF
            and i.revocation_date is None and "high_bit_serial" not in i.oddities]
    rng.shuffle(pool)
    ministry = next(i for i in pool if i.organisation.name == "Ministère de l'Exemple")
    others = [i for i in pool if i is not ministry and i.organisation.name != "Ministère de l'Exemple"]
    # A space inside a dNSName (invalid per RFC 5280 / BR, but it was issued): must survive IA5String encoding.
    ministry.dns_names.append("portail agents.exemple.gouv.fr")
    ministry.oddities.append("san_space")
    # An internal name under a TLD that does not exist (BR 7.1.4.2.1 banned them from 2016-10-01).
    others[0].dns_names.append("srv-ged.intranet")
    others[0].oddities.append("unregistered_tld")
    # An iPAddress SAN in IPv6 (documentation prefix, RFC 3849).
    others[1].ip_addresses.append("2001:db8::443")
    others[1].oddities.append("ipv6_san")
    # The same name listed twice (as on a real La Poste certificate; x509_altNames does not de-duplicate).
    others[2].dns_names.append(others[2].dns_names[0])
    others[2].oddities.append("duplicate_san")


def plan_population(seed: int = DEFAULT_SEED) -> Population:
    """Make every random choice of the demo population; no key is derived and nothing is signed here."""
    rng = random.Random(seed)
    orgs, former = _make_organisations(rng)
    dv_domains = _dv_domains(rng)
    dv_weights = [1.0 / (r + 1) ** 0.7 for r in range(len(dv_domains))]
    unexpired_dates, expired_dates, post_dates = _draw_dates(rng)

    # Unexpired on AS_OF: exactly len(orgs) organisations, each with at least one certificate, the rest by weight.
    n_no_o = sum(rng.random() < NO_O_SHARE for _ in range(len(unexpired_dates)))
    rest = len(unexpired_dates) - n_no_o - len(orgs)
    subjects: list[Organisation | None] = [None] * n_no_o + list(orgs)
    subjects += rng.choices(orgs, weights=[o.weight for o in orgs], k=rest)
    rng.shuffle(subjects)
    all_orgs = orgs + former

    def pick(pool: list[Organisation], no_o_share: float) -> Organisation | None:
        return None if rng.random() < no_o_share else rng.choices(pool, weights=[o.weight for o in pool])[0]

    plan: list[tuple[tuple[datetime, datetime], Organisation | None, str]] = []
    plan += [(d, s, "unexpired") for d, s in zip(unexpired_dates, subjects)]
    # Former customers (1-4 certificates each) appear only among the expired, so the organisation count depends on
    # the expiry filter.
    expired_subjects: list[Organisation | None] = [o for o in former for _ in range(rng.randint(1, 4))]
    expired_subjects = expired_subjects[: len(expired_dates)]
    expired_subjects += [pick(orgs, 0.30) for _ in range(len(expired_dates) - len(expired_subjects))]
    rng.shuffle(expired_subjects)
    plan += [(d, s, "expired") for d, s in zip(expired_dates, expired_subjects)]
    plan += [(d, pick(orgs, NO_O_SHARE), "post") for d in post_dates]

    used_serials: set[int] = set()
    issuances: list[Issuance] = []
    for (nb, na), org, bucket in plan:
        if org is None:
            level = "DV"
            names = _dv_names(rng, rng.choices(dv_domains, weights=dv_weights)[0])
        else:
            level = "EV" if org.ev and rng.random() < 0.7 else "OV"
            names = _org_names(rng, org, level)
        ou = None
        if level == "OV" and rng.random() < 0.3:
            ou = f"0002 {org.siren}" if rng.random() < 0.5 else "Direction des Systèmes d'Information"
        # EV needed CT from 2015 (Chrome); everything did from 2018-04-30. Older OV/DV was often logged only
        # by crawlers, as a final certificate.
        p_precert = 0.97 if (level == "EV" or nb >= _CHROME_CT_REQUIRED) else 0.55
        if rng.random() < p_precert:
            logging = "orphan_precert" if rng.random() < 0.06 else "pair"
        else:
            logging = "final_only"
        high_bit = rng.random() < 0.02
        iss = Issuance(
            issuance_id=0, level=level, organisation=org, ou=ou, dns_names=names, ip_addresses=[],
            serial=_draw_serial(rng, used_serials, high_bit), not_before=nb, not_after=na, logging=logging,
            key_index=rng.randrange(LEAF_KEY_POOL), oddities=["high_bit_serial"] if high_bit else [],
        )
        _plan_ct(rng, iss)
        # Revocations of certificates alive on AS_OF are all dated before it, so "revoked unexpired" is unambiguous.
        latest = _POST_ISSUE_END if bucket == "post" else AS_OF - timedelta(days=2)
        _plan_revocation(rng, iss, {"unexpired": 0.045, "expired": 0.06, "post": 0.02}[bucket], latest)
        issuances.append(iss)

    unexpired = [i for i in issuances if i.not_before <= AS_OF < i.not_after]
    _force_oddities(rng, unexpired)
    # Make sure at least one high-bit serial is in the unexpired population.
    if not any("high_bit_serial" in i.oddities for i in unexpired):
        victim = next(i for i in unexpired if not i.oddities and i.logging == "pair")
        used_serials.discard(victim.serial)
        victim.serial = _draw_serial(rng, used_serials, True)
        victim.oddities.append("high_bit_serial")

    issuances.sort(key=lambda i: (i.not_before, i.serial))
    for n, iss in enumerate(issuances, 1):
        iss.issuance_id = n

    # CA certificates were logged once, before the first leaf.
    first = datetime(2015, 12, 1, 9, tzinfo=UTC)
    ca_entries = [(_LOG_GAMMA, _ms(first + timedelta(hours=k, seconds=rng.uniform(0, 3000))), ca.label)
                  for k, ca in enumerate(_CAS)]

    # Entry ids grow with time within each log, with gaps for the rest of the world's certificates.
    events: list[tuple[int, datetime, object, str]] = [(log, t, label, "ca") for log, t, label in ca_entries]
    for iss in issuances:
        events += [(log, t, iss.issuance_id, "precert") for log, t in iss.precert_entries]
        events += [(log, t, iss.issuance_id, "final") for log, t in iss.final_entries]
    events.sort(key=lambda e: (e[0], e[1], str(e[2]), e[3]))
    entry_ids: dict[tuple[object, str, int], int] = {}
    next_id = {log.id: rng.randrange(1_000_000, 50_000_000) for log in _LOGS}
    for log, _t, owner, role in events:
        next_id[log] += rng.randrange(1, 60_000)
        assert (owner, role, log) not in entry_ids, "a certificate is entered at most once per log"
        entry_ids[(owner, role, log)] = next_id[log]

    return Population(seed=seed, issuances=issuances, organisations=all_orgs, ca_entries=ca_entries,
                      entry_ids=entry_ids)


# ---------------------------------------------------------------------------------------------------------------
# Ground truth numbers (computed from the plan; tests recompute them from the DER files)
# ---------------------------------------------------------------------------------------------------------------


def _is_gouv_fr(name: str) -> bool:
    # RFC 5280 subtree semantics for a gouv.fr name constraint: the name itself or anything under it.
    return name == "gouv.fr" or name.endswith(".gouv.fr")


def _headline(issuances: list[Issuance]) -> dict[str, int]:
    unexpired = [i for i in issuances if i.not_before <= AS_OF < i.not_after]
    expiring = [i for i in unexpired if i.not_after <= EXPIRY_CUTOFF]
    revoked = [i for i in unexpired if i.revocation_date is not None and i.revocation_date <= AS_OF]
    level = {lv: sum(i.level == lv for i in unexpired) for lv in ("DV", "OV", "EV")}
    return {
        # alive on 2019-05-17: not_before <= as_of < not_after (a precertificate/certificate pair counts once)
        "unexpired_issuances": len(unexpired),
        "unexpired_orphan_precerts": sum(i.logging == "orphan_precert" for i in unexpired),
        "unexpired_final_only": sum(i.logging == "final_only" for i in unexpired),
        "unexpired_revoked": len(revoked),
        "organisations": len({i.organisation.name for i in unexpired if i.organisation}),
        "no_organisation_issuances": sum(i.organisation is None for i in unexpired),
        "gouv_fr_issuances": sum(any(_is_gouv_fr(n) for n in i.dns_names) for i in unexpired),
        "all_names_gouv_fr_issuances": sum(bool(i.dns_names) and not i.ip_addresses
                                           and all(_is_gouv_fr(n) for n in i.dns_names) for i in unexpired),
        "dv_issuances": level["DV"],
        "ov_issuances": level["OV"],
        "ev_issuances": level["EV"],
        "expiring_on_or_before_2019_08_31": len(expiring),
        # the thread's count: unexpired, not expiring by 2019-08-31, not revoked
        "in_scope_unrevoked_issuances": sum(1 for i in unexpired if i.not_after > EXPIRY_CUTOFF
                                            and not (i.revocation_date is not None and i.revocation_date <= AS_OF)),
        # issued after the snapshot (2019-05-19 .. 2019-08-31); a query "not_after > 2019-05-17" run later sees them
        "issued_after_2019_05_17": sum(i.not_before > AS_OF for i in issuances),
        "expired_before_2019_05_17": sum(i.not_after <= AS_OF for i in issuances),
    }


def _manifest_core(pop: Population) -> dict:
    iss = pop.issuances
    n_pre = sum(i.has_precert for i in iss)
    n_final = sum(i.has_final for i in iss)
    oddity_tags = ("san_space", "unregistered_tld", "ipv6_san", "duplicate_san", "high_bit_serial")
    return {
        "generator": "analysis.demo",
        "generator_version": GENERATOR_VERSION,
        "seed": pop.seed,
        "synthetic": True,
        "as_of": AS_OF.date().isoformat(),
        "expires_on_or_before": EXPIRY_CUTOFF.date().isoformat(),
        "counts_by_kind": {
            "root": sum(ca.kind == "root" for ca in _CAS),
            "cross": sum(ca.kind == "cross" for ca in _CAS),
            "intermediate": sum(ca.kind == "intermediate" for ca in _CAS),
            "leaf": n_final,
            "precert": n_pre,
        },
        "certificates": len(_CAS) + n_pre + n_final,
        "issuances": {
            "total": len(iss),
            "pairs": sum(i.logging == "pair" for i in iss),
            "orphan_precerts": sum(i.logging == "orphan_precert" for i in iss),
            "final_only": sum(i.logging == "final_only" for i in iss),
            "revoked": sum(i.revocation_date is not None for i in iss),
            "organisations": len({i.organisation.name for i in iss if i.organisation}),
        },
        "expected_as_of_2019_05_17": _headline(iss),
        "oddities": {
            **{tag: sum(tag in i.oddities for i in iss) for tag in oddity_tags},
            "non_ascii_organisation_issuances": sum(bool(i.organisation) and not i.organisation.name.isascii()
                                                    for i in iss),
            "wildcard_issuances": sum(any(n.startswith("*.") for n in i.dns_names) for i in iss),
            "multi_san_issuances": sum(len(i.dns_names) + len(i.ip_addresses) > 1 for i in iss),
        },
        "ct_logs": len(_LOGS),
        "ct_log_entries": len(pop.entry_ids),
    }


def expected_counts(seed: int = DEFAULT_SEED) -> dict:
    """The manifest :func:`generate` would write for ``seed`` (minus file checksums), without building anything."""
    return _manifest_core(plan_population(seed))


# ---------------------------------------------------------------------------------------------------------------
# Building the certificates
# ---------------------------------------------------------------------------------------------------------------


def _require_deterministic_ecdsa() -> None:
    if "ecdsa_deterministic" not in inspect.signature(x509.CertificateBuilder.sign).parameters:
        raise RuntimeError("analysis.demo needs cryptography >= 44 (RFC 6979 deterministic ECDSA) "
                           f"for byte-identical output; this is cryptography {__import__('cryptography').__version__}")


def _derive_key(seed: int, label: str) -> ec.EllipticCurvePrivateKey:
    """A P-256 key fixed by (seed, label): same seed, same keys, same certificates."""
    n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551  # P-256 group order
    digest = hashlib.sha256(f"distrust-impact-demo/{seed}/{label}".encode()).digest()
    return ec.derive_private_key(int.from_bytes(digest, "big") % (n - 1) + 1, ec.SECP256R1())


def _sign(builder: x509.CertificateBuilder, key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    return builder.sign(key, hashes.SHA256(), ecdsa_deterministic=True)


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def _spki(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _ca_name(spec: _CASpec) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, spec.o),
        x509.NameAttribute(NameOID.COMMON_NAME, spec.cn),
    ])


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _sct_list_extension(scts: list[bytes]) -> x509.UnrecognizedExtension:
    """RFC 6962 3.3: extnValue is an OCTET STRING holding the TLS-encoded SignedCertificateTimestampList."""
    body = b"".join(struct.pack(">H", len(s)) + s for s in scts)
    tls_list = struct.pack(">H", len(body)) + body
    return x509.UnrecognizedExtension(x509.ObjectIdentifier(CT_SCT_LIST_OID),
                                      b"\x04" + _der_length(len(tls_list)) + tls_list)


def _sct(log_key: ec.EllipticCurvePrivateKey, log_id: bytes, ts: datetime, issuer_key_hash: bytes,
         tbs_without_ct: bytes) -> bytes:
    """A v1 SCT for a precert entry, signed by the fictional log (RFC 6962 3.2), so it verifies."""
    ts_ms = (ts - _EPOCH) // timedelta(milliseconds=1)
    signed = (b"\x00\x00" + struct.pack(">Q", ts_ms) + b"\x00\x01" + issuer_key_hash
              + len(tbs_without_ct).to_bytes(3, "big") + tbs_without_ct + b"\x00\x00")
    sig = log_key.sign(signed, ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    # version v1, log id, timestamp, no extensions, digitally-signed (sha256=4, ecdsa=3)
    return (b"\x00" + log_id + struct.pack(">Q", ts_ms) + b"\x00\x00" + b"\x04\x03"
            + struct.pack(">H", len(sig)) + sig)


def _leaf_subject(iss: Issuance) -> x509.Name:
    cn = iss.dns_names[0]
    org = iss.organisation
    if iss.level == "DV":
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    attrs = []
    if iss.level == "EV":
        # EV Guidelines 9.2.4-9.2.5: jurisdiction, business category, registration number.
        attrs += [
            x509.NameAttribute(NameOID.JURISDICTION_COUNTRY_NAME, "FR"),
            x509.NameAttribute(NameOID.BUSINESS_CATEGORY,
                               "Government Entity" if org.sector == "public" else "Private Organization"),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, org.siren),
        ]
    attrs += [x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"), x509.NameAttribute(NameOID.LOCALITY_NAME, org.city),
              x509.NameAttribute(NameOID.ORGANIZATION_NAME, org.name)]  # UTF8String by default: accents survive
    if iss.ou:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, iss.ou))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


@dataclass
class _Built:
    der: bytes
    kind: str  # root | cross | intermediate | leaf | precert
    label: str  # CA label, empty for leaves
    issuer_label: str
    issuance: Issuance | None
    entries: list[tuple[int, datetime, int]]  # (ct_log_id, timestamp, entry_id)
    not_before: datetime
    not_after: datetime
    serial: int
    cn: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.der).hexdigest().upper()


def _build(pop: Population) -> list[_Built]:
    seed = pop.seed
    keys = {ca.key_label: _derive_key(seed, f"ca/{ca.key_label}") for ca in _CAS if ca.kind != "cross"}
    pubs = {label: k.public_key() for label, k in keys.items()}
    leaf_keys = [_derive_key(seed, f"leaf/{n}").public_key() for n in range(LEAF_KEY_POOL)]
    leaf_ski = [x509.SubjectKeyIdentifier.from_public_key(k) for k in leaf_keys]
    log_keys = {log.id: _derive_key(seed, f"ct-log/{log.id}") for log in _LOGS}
    log_ids = {lid: hashlib.sha256(_spki(k.public_key())).digest() for lid, k in log_keys.items()}
    ca_entries = {label: (log, t) for log, t, label in pop.ca_entries}
    rng = random.Random(f"{seed}/ca-serials")  # independent stream: CA serials do not shift the plan

    built: list[_Built] = []
    for ca in _CAS:
        issuer = _CA_BY_LABEL[ca.issuer]
        issuer_key_label = issuer.key_label
        subject = _ca_name(_CA_NAME_FOR_KEY[ca.key_label])
        b = (x509.CertificateBuilder()
             .subject_name(subject).issuer_name(_ca_name(_CA_NAME_FOR_KEY[issuer_key_label]))
             .public_key(pubs[ca.key_label]).serial_number(rng.getrandbits(127) | (1 << 120))
             .not_valid_before(ca.not_before).not_valid_after(ca.not_after)
             .add_extension(x509.BasicConstraints(ca=True, path_length=0 if ca.kind == "intermediate" else None), True)
             .add_extension(x509.KeyUsage(digital_signature=ca.kind == "intermediate", content_commitment=False,
                                          key_encipherment=False, data_encipherment=False, key_agreement=False,
                                          key_cert_sign=True, crl_sign=True, encipher_only=False,
                                          decipher_only=False), True)
             .add_extension(x509.SubjectKeyIdentifier.from_public_key(pubs[ca.key_label]), False))
        if ca.kind != "root":
            b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(pubs[issuer_key_label]), False)
        if ca.kind == "intermediate":
            policy = POLICY_EV if ca.label == "ev" else "2.5.29.32.0"  # EV CAs assert the EV OID, others anyPolicy
            b = (b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                        ExtendedKeyUsageOID.CLIENT_AUTH]), False)
                 .add_extension(x509.CertificatePolicies([x509.PolicyInformation(x509.ObjectIdentifier(policy), None)]),
                                False)
                 .add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
                     [x509.UniformResourceIdentifier("http://crl.demo-ca.example/root.crl")], None, None, None)]),
                     False))
        cert = _sign(b, keys[issuer_key_label])
        log, t = ca_entries[ca.label]
        built.append(_Built(_der(cert), ca.kind, ca.label, ca.issuer, None,
                            [(log, t, pop.entry_ids[(ca.label, "ca", log)])],
                            ca.not_before, ca.not_after, cert.serial_number, ca.cn))

    issuer_key_hash = {lv: hashlib.sha256(_spki(pubs[lv])).digest() for lv in ("dv", "ov", "ev")}
    aki = {lv: x509.AuthorityKeyIdentifier.from_issuer_public_key(pubs[lv]) for lv in ("dv", "ov", "ev")}
    issuer_names = {lv: _ca_name(_CA_BY_LABEL[lv]) for lv in ("dv", "ov", "ev")}
    poison = x509.PrecertPoison()  # RFC 6962 3.1: critical extension whose value is ASN.1 NULL
    for iss in pop.issuances:
        lv = iss.issuer_label
        sans: list[x509.GeneralName] = [x509.DNSName(n) for n in iss.dns_names]
        sans += [x509.IPAddress(ipaddress.ip_address(a)) for a in iss.ip_addresses]
        policies = [x509.PolicyInformation(x509.ObjectIdentifier(_LEVEL_POLICY[iss.level]), None)]
        if iss.level != "DV":
            policies.append(x509.PolicyInformation(x509.ObjectIdentifier(_DEMO_CPS_OID),
                                                   ["https://www.demo-ca.example/cps"]))
        b = (x509.CertificateBuilder()
             .subject_name(_leaf_subject(iss)).issuer_name(issuer_names[lv])
             .public_key(leaf_keys[iss.key_index]).serial_number(iss.serial)
             .not_valid_before(iss.not_before).not_valid_after(iss.not_after)
             .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
             .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                          data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                          crl_sign=False, encipher_only=False, decipher_only=False), True)
             .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                   ExtendedKeyUsageOID.CLIENT_AUTH]), False)
             .add_extension(leaf_ski[iss.key_index], False)
             .add_extension(aki[lv], False)
             .add_extension(x509.AuthorityInformationAccess([
                 x509.AccessDescription(x509.AuthorityInformationAccessOID.OCSP,
                                        x509.UniformResourceIdentifier("http://ocsp.demo-ca.example")),
                 x509.AccessDescription(x509.AuthorityInformationAccessOID.CA_ISSUERS,
                                        x509.UniformResourceIdentifier(f"http://crt.demo-ca.example/{lv}.crt"))]),
                 False)
             .add_extension(x509.CertificatePolicies(policies), False)
             .add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
                 [x509.UniformResourceIdentifier(f"http://crl.demo-ca.example/{lv}.crl")], None, None, None)]), False)
             .add_extension(x509.SubjectAlternativeName(sans), False))
        common = dict(label="", issuer_label=lv, issuance=iss, not_before=iss.not_before, not_after=iss.not_after,
                      serial=iss.serial, cn=iss.dns_names[0])
        key = keys[lv]
        if iss.has_precert:
            # The CT extension goes last in both certificates, so stripping it leaves identical TBSCertificates.
            pre = _sign(b.add_extension(poison, True), key)
            pre_entries = [(log, t, pop.entry_ids[(iss.issuance_id, "precert", log)]) for log, t in iss.precert_entries]
            built.append(_Built(_der(pre), "precert", entries=pre_entries, **common))
        if iss.has_final:
            if iss.logging == "pair":
                # The SCTs sign the TBSCertificate without CT extensions; sign a scratch copy to get those bytes.
                tbs = _sign(b, key).tbs_certificate_bytes
                scts = [_sct(log_keys[log], log_ids[log], t, issuer_key_hash[lv], tbs)
                        for log, t in iss.precert_entries]
                final = _sign(b.add_extension(_sct_list_extension(scts), False), key)
            else:
                final = _sign(b, key)  # logged by a crawler: SCTs, if any, were delivered over TLS
            built.append(_Built(_der(final), "leaf", entries=[
                (log, t, pop.entry_ids[(iss.issuance_id, "final", log)]) for log, t in iss.final_entries], **common))
    return built


# ---------------------------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------------------------


def _iso(t: datetime | None, ms: bool = False) -> str:
    if t is None:
        return ""
    t = t.astimezone(UTC)
    if ms:
        return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _serial_hex(serial: int) -> str:
    # crt.sh form: the DER INTEGER contents, so a set high bit brings a leading 00.
    n = serial.bit_length() // 8 + 1
    return serial.to_bytes(n, "big").hex()


def _csv_bytes(header: list[str], rows: list[list[object]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(["" if v is None else v for v in row] for row in rows)
    return buf.getvalue().encode("utf-8")


def generate(out_dir: Path, seed: int = DEFAULT_SEED) -> dict:
    """Write the demo population for ``seed`` into ``out_dir`` and return its manifest.

    ``*.der`` files already in ``out_dir/certs`` are removed first (only those), so a re-run with another seed
    leaves no stale certificates behind.
    """
    _require_deterministic_ecdsa()
    out_dir = Path(out_dir)
    pop = plan_population(seed)
    built = _build(pop)

    certs_dir = out_dir / "certs"
    certs_dir.mkdir(parents=True, exist_ok=True)
    for old in certs_dir.glob("*.der"):
        old.unlink()
    for b in built:
        (certs_dir / f"{b.sha256}.der").write_bytes(b.der)

    # One revocation row per revoked issuance (crt.sh keys revocations by issuer and serial, which a precertificate
    # shares with its final certificate): the final certificate when there is one.
    revoked = []
    for b in built:
        iss = b.issuance
        if iss and iss.revocation_date and (b.kind == "leaf" or not iss.has_final):
            revoked.append([b.sha256, _iso(iss.revocation_date), iss.reason_code])
    revoked.sort(key=lambda r: (r[1], r[0]))
    files = {
        "revocations.csv": _csv_bytes(["certificate_sha256", "revocation_date", "reason_code"], revoked),
        "ct_logs.csv": _csv_bytes(["id", "operator", "url", "name"],
                                  [[log.id, log.operator, log.url, log.name] for log in _LOGS]),
        "ct_log_entries.csv": _csv_bytes(
            ["certificate_sha256", "ct_log_id", "entry_id", "entry_timestamp"],
            sorted(([b.sha256, log, eid, _iso(t, ms=True)] for b in built for log, t, eid in b.entries),
                   key=lambda r: (r[1], r[2]))),
        "truth.csv": _csv_bytes(_TRUTH_HEADER, [_truth_row(b) for b in built]),
    }
    for name, data in files.items():
        atomic_write_bytes(out_dir / name, data)

    manifest = _manifest_core(pop)
    manifest["population_sha256"] = hashlib.sha256("\n".join(sorted(b.sha256 for b in built)).encode()).hexdigest()
    manifest["checksums"] = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    atomic_write_bytes(out_dir / "manifest.json",
                  (json.dumps(manifest, indent=2) + "\n").encode("ascii"))  # ASCII: readable in any locale
    return manifest


_TRUTH_HEADER = [
    "sha256", "kind", "label", "issuer_label", "issuance_id", "logging", "serial", "not_before", "not_after",
    "organisation", "subject_cn", "dns_names", "ip_addresses", "validation_level", "revoked", "revocation_date",
    "reason_code", "earliest_ct_entry", "oddities",
]


def _truth_row(b: _Built) -> list[object]:
    iss = b.issuance
    earliest = min((t for _log, t, _eid in b.entries), default=None)
    if iss is None:
        return [b.sha256, b.kind, b.label, b.issuer_label, "", "", _serial_hex(b.serial), _iso(b.not_before),
                _iso(b.not_after), _CA_BY_LABEL[b.label].o, b.cn, "", "", "", "false", "", "", _iso(earliest, True),
                ""]
    return [
        b.sha256, b.kind, "", b.issuer_label, iss.issuance_id, iss.logging, _serial_hex(iss.serial),
        _iso(iss.not_before), _iso(iss.not_after), iss.organisation.name if iss.organisation else "", b.cn,
        ";".join(iss.dns_names), ";".join(iss.ip_addresses), iss.level,
        "true" if iss.revocation_date else "false", _iso(iss.revocation_date), iss.reason_code,
        _iso(earliest, True), ";".join(iss.oddities),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write the synthetic demo certificate population.")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    manifest = generate(args.out_dir, args.seed)
    print(json.dumps(manifest["expected_as_of_2019_05_17"], indent=2))


if __name__ == "__main__":
    main()
