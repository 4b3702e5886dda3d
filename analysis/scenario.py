"""A report's parameters, validated before any query runs, and the distrust options they name.

Everything a user types (on the command line or in a notebook's parameters cell) arrives here as plain strings and
is checked with a one-line error that says what was wrong and what is accepted (:class:`ScenarioError`).

Option specs (``--option``, or ``;``-separated in a notebook's ``options`` parameter):

=========================== =========================================================================================
``removal``                 the root is removed on the distrust date (Mozilla removal, Chrome blocklist)
``distrust-after:DATE``     certificates whose notBefore is after DATE (23:59:59 UTC) are distrusted from the distrust
                            date
                            (Mozilla ``CKA_NSS_SERVER_DISTRUST_AFTER``, Apple, Microsoft NotBefore)
``sct-after:DATE``          Chrome ``sct_not_after``: certificates whose earliest CT entry is after DATE
``constrain:NAME[,NAME…]``  name constraints: every DNS name must be within the permitted subtrees (RFC 5280)
``allowlist:SUNSET``        certificates existing on the snapshot date survive until SUNSET; others break on the
                            distrust date (CNNIC 2015, WoSign 2016)
``mozilla-actual[:SHA256]`` what Mozilla actually did to this root (or to the root SHA256, e.g. to apply the
                            Certinomis decision to the demo population): the NSS certdata.txt history plus
                            Firefox's own code (data/root_programs/actions.csv)
``chrome-actual[:SHA256]``  the same for Chrome (its code and Chrome Root Store constraints), ``apple-actual``,
                            ``microsoft-actual`` for Apple and Microsoft (docs/root-programs.md)
=========================== =========================================================================================
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from dataclasses import dataclass, field

from analysis import policies
from analysis.config import CERTINOMIS_ROOT_SHA256

# The seed thread (README, docs/root-programs.md): Firefox 69 shipped the Certinomis removal on 2019-09-03; "exclude
# those expiring before 2019-08-31 and those issued after 2019-05-17"; options removal / gouv.fr / allowlist.
SEED_DISTRUST_DATE = "2019-09-03"
SEED_AS_OF = "2019-05-17"
SEED_EXPIRES_ON_OR_BEFORE = "2019-08-31"
SEED_ISSUED_AFTER = "2019-05-17"
SEED_OPTIONS = ("removal", "constrain:gouv.fr", "allowlist:2020-06-30")
# The real decision the demo population is shaped after: Mozilla's removal of Certinomis - Root CA.
CERTINOMIS_ACTUAL = f"mozilla-actual:{CERTINOMIS_ROOT_SHA256}"
# "<program>-actual" options -> the root program they name.
ACTUAL_PROGRAMS = {"mozilla-actual": "Mozilla", "chrome-actual": "Chrome", "apple-actual": "Apple",
                   "microsoft-actual": "Microsoft"}

_HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


class ScenarioError(ValueError):
    """A parameter is wrong; the message is one line saying what and what is accepted."""


def parse_date(value, what: str, *, optional: bool = False) -> dt.date | None:
    """A calendar date from ``YYYY-MM-DD`` (a date or datetime object is accepted too)."""
    if value is None or (isinstance(value, str) and value.strip() == ""):
        if optional:
            return None
        raise ScenarioError(f"{what}: a date is required (YYYY-MM-DD)")
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise ScenarioError(f"{what}: {text!r} is not a date; use YYYY-MM-DD, e.g. 2019-09-03")
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ScenarioError(f"{what}: {text!r} is not a real date ({exc})") from None


@dataclass(frozen=True)
class Option:
    spec: str  # as the user wrote it, normalised
    label: str  # short column label for tables and legends
    kind: str
    arg: object = None


def parse_option(spec: str) -> Option:
    text = spec.strip()
    kind, _, arg = text.partition(":")
    kind = kind.strip().lower()
    arg = arg.strip()
    if kind == "removal" and not arg:
        return Option("removal", "removal", "removal")
    if kind in ("distrust-after", "sct-after"):
        date = parse_date(arg, f"option {text!r}")
        label = ("notBefore after " if kind == "distrust-after" else "SCT after ") + date.isoformat()
        return Option(f"{kind}:{date.isoformat()}", label, kind, date)
    if kind == "constrain":
        names = [n.strip().lower().rstrip(".") for n in arg.split(",") if n.strip()]
        for n in names:
            if _is_ip(n):
                # The certificates frame holds dNSName SANs only (docs/design.md): an iPAddress subtree (RFC 5280
                # 4.2.1.10) cannot be judged, and it must not be taken for a DNS name either.
                raise ScenarioError(f"option {text!r}: {n!r} is an IP address; name constraints here are DNS "
                                    f"subtrees (iPAddress constraints are not supported: the report does not "
                                    f"fetch IP address SANs), e.g. constrain:gouv.fr")
        bad = [n for n in names if not _HOSTNAME.match(n)]
        if not names or bad:
            raise ScenarioError(f"option {text!r}: give permitted DNS subtrees, e.g. constrain:gouv.fr or "
                                f"constrain:gouv.fr,gov.pf" + (f" ({bad[0]!r} is not a DNS name)" if bad else ""))
        return Option(f"constrain:{','.join(names)}", f"only {', '.join(names)}", kind, tuple(names))
    if kind == "allowlist":
        sunset = parse_date(arg, f"option {text!r} (the sunset date)")
        return Option(f"allowlist:{sunset.isoformat()}", f"allowlist to {sunset.isoformat()}", kind, sunset)
    if kind in ACTUAL_PROGRAMS:
        program = ACTUAL_PROGRAMS[kind]
        if not arg:
            return Option(kind, f"{program}'s actual rule", kind)
        sha = arg.replace(":", "").upper()
        if not re.fullmatch(r"[0-9A-F]{64}", sha):
            raise ScenarioError(f"option {text!r}: {kind}:SHA256 takes a root's SHA-256 fingerprint "
                                f"(64 hex digits)")
        return Option(f"{kind}:{sha}", f"{program}: {_nss_label(sha)}", kind, sha)
    raise ScenarioError(f"unknown option {text!r}; use removal, distrust-after:DATE, sct-after:DATE, "
                        f"constrain:NAME[,NAME…], allowlist:SUNSET, mozilla-actual, chrome-actual, "
                        f"apple-actual or microsoft-actual")


def _is_ip(text: str) -> bool:
    """An IPv4/IPv6 address or network, or a dotted name whose last label is all digits (never a host name)."""
    try:
        ipaddress.ip_network(text, strict=False)
        return True
    except ValueError:
        return bool(re.fullmatch(r"[0-9.]+", text)) and "." in text


def _nss_label(sha256: str) -> str:
    """The root's label in Mozilla's certdata.txt history, else its CA in the actions file (offline), else the
    fingerprint's start."""
    from analysis import root_programs, rootstore

    timeline = rootstore.load_timeline()
    hit = timeline.loc[timeline["sha256"] == sha256, "label"]
    if len(hit):
        return str(hit.iloc[0])
    cas = [a.ca for a in root_programs.load_actions() if sha256 in a.roots]
    return f"{cas[0]} root {sha256[:16]}…" if cas else sha256[:16] + "…"


def parse_flag(value, what: str) -> bool:
    """A yes/no parameter: a bool, or ``true``/``false``/``yes``/``no``/``1``/``0``/empty (false), any case."""
    if isinstance(value, bool):
        return value
    text = "" if value is None else str(value).strip().lower()
    if text in ("", "false", "no", "0"):
        return False
    if text in ("true", "yes", "1"):
        return True
    raise ScenarioError(f"{what}: {value!r} is not true or false")


def parse_options(value) -> list[Option]:
    specs = value.split(";") if isinstance(value, str) else list(value)
    opts = [parse_option(s) for s in specs if str(s).strip()]
    if not opts:
        raise ScenarioError("options: name at least one option, e.g. removal")
    labels = [o.label for o in opts]
    if len(set(labels)) != len(labels):
        raise ScenarioError(f"options: each option once please (got {'; '.join(o.spec for o in opts)})")
    return opts


@dataclass(frozen=True)
class Scenario:
    """One report run: a CA, a distrust date, a snapshot date, the two analysis filters and the options."""

    ca: str
    distrust_date: dt.date
    as_of: dt.date
    expires_on_or_before: dt.date | None
    issued_after: dt.date | None
    options: tuple[Option, ...] = field(default_factory=tuple)
    # True: a cross-sign never saves a certificate (the verdicts before paths were decided, for comparison)
    ignore_alternate_paths: bool = False

    @classmethod
    def from_strings(cls, *, ca, distrust_date, as_of="", expires_on_or_before="", issued_after="",
                     options="removal", ignore_alternate_paths=False, today: dt.date | None = None) -> "Scenario":
        ca = str(ca).strip()
        if not ca:
            raise ScenarioError("ca: give a root SHA-256 fingerprint, a crt.sh CA id, or a CA name")
        distrust = parse_date(distrust_date, "distrust date")
        snapshot = parse_date(as_of, "as-of date", optional=True) or (today or dt.datetime.utcnow().date())
        exp = parse_date(expires_on_or_before, "expires-on-or-before filter", optional=True)
        # A snapshot holds what existed on its date: certificates issued after it are excluded (and reported as
        # such) unless a later issued-after date is given. On crt.sh today, a past snapshot date would otherwise
        # count certificates issued since.
        after = parse_date(issued_after, "issued-after filter", optional=True) or snapshot
        opts = tuple(parse_options(options))
        if snapshot > distrust:
            raise ScenarioError(f"as-of date {snapshot} is after the distrust date {distrust}: the snapshot must "
                                f"come first (certificates unexpired on the snapshot date are counted)")
        for o in opts:
            if o.kind == "allowlist" and o.arg <= distrust:
                raise ScenarioError(f"option {o.spec!r}: the sunset must be after the distrust date {distrust}")
        return cls(ca, distrust, snapshot, exp, after, opts, parse_flag(ignore_alternate_paths,
                                                                        "ignore-alternate-paths"))

    def policy_for(self, option: Option, normalised=None, *, mozilla_presets=None):
        """The :mod:`analysis.policies` object an option names, on this scenario's dates, with alternate trust
        paths decided (:func:`analysis.trustpaths.decide`) unless :attr:`ignore_alternate_paths`.

        ``mozilla_presets`` (name kept for the callers): what the root programs did to this root, an
        :class:`analysis.presets.ActualRecord` (every program's presets, their sources, the hierarchy the exempt
        intermediates resolve against and the CA graph the paths are found in) or a plain list of presets (no
        paths then); the ``<program>-actual`` options read it.

        Paths: a ``<program>-actual`` option is decided against that program's store, the other options against
        Mozilla's (the store whose history is bundled); the store as of the snapshot date (:attr:`as_of`, a past
        day replayed). A ``<program>-actual`` option without a root applies the actions known on :attr:`as_of`
        only (:func:`analysis.presets.known_by`); ``…-actual:SHA256`` applies another root's whole record.
        """
        from analysis import trustpaths

        policy = self._policy(option, normalised, mozilla_presets)
        program = ACTUAL_PROGRAMS.get(option.kind, "Mozilla")
        record = mozilla_presets if mozilla_presets is not None else []
        client_code = option.kind in ACTUAL_PROGRAMS and any(
            p.extra.get("channel") == "client_code" for p in record if p.program == program)
        return trustpaths.decide(policy, record, program=program, as_of=self.as_of,
                                 through_distrusted=not client_code,
                                 ignore_alternate_paths=self.ignore_alternate_paths)

    def _policy(self, option: Option, normalised, mozilla_presets):
        d = self.distrust_date
        if option.kind == "removal":
            return policies.Removal(d)
        if option.kind in ("distrust-after", "sct-after"):
            # A cut-off day includes the whole day, as root programs write them (Entrust: 2024-11-11T23:59:59Z in
            # Chrome, 241130235959Z in NSS): "distrust-after:2019-05-17" trusts a notBefore of 2019-05-17 12:00.
            cutoff = dt.datetime.combine(option.arg, dt.time(23, 59, 59))
            basis = "not_before" if option.kind == "distrust-after" else "earliest_sct"
            return policies.DistrustAfter(cutoff, basis=basis, effective=max(d, option.arg))
        if option.kind == "constrain":
            return policies.NameConstrained(permitted=list(option.arg), date=d)
        if option.kind == "allowlist":
            if normalised is None:
                raise ScenarioError("allowlist: the population is needed to list the existing certificates")
            return policies.Allowlist.existing(normalised, cutoff=self.as_of, date=d, sunset=option.arg)
        if option.kind in ACTUAL_PROGRAMS:
            from analysis import presets as presets_mod

            program = ACTUAL_PROGRAMS[option.kind]
            record = mozilla_presets if mozilla_presets is not None else []
            hierarchy = getattr(record, "hierarchy", None)
            known = ""
            if option.arg:
                found, source = presets_mod.program_presets(program, option.arg)
            else:
                everything = [p for p in record if p.program == program]
                found = presets_mod.known_by(everything, self.as_of)
                source = getattr(record, "sources", {}).get(program, "the bundled files")
                if everything and not found:
                    first = min(p.known_from for p in everything)
                    known = (f" known on the snapshot date {self.as_of} (its first action was made public on "
                             f"{first:%Y-%m-%d}; a later --as-of replays a later day)")
            if not found:
                which = f"root {option.arg[:16]}…" if option.arg else "this root"
                never = " (never in NSS, or never distrusted)" if program == "Mozilla" and not known else ""
                raise ScenarioError(f"option {option.spec!r}: {program} took no action on {which}{never}{known} in "
                                    f"{source}; drop the option")
            # Each action with the program's own semantics, at the release that shipped it where documented
            # (Certinomis: Firefox 69); exempt intermediates resolved against this root's hierarchy.
            return presets_mod.actual_policy(program, found, hierarchy=hierarchy)
        raise ScenarioError(f"unknown option kind {option.kind!r}")

    def parameters(self) -> dict[str, str]:
        """Plain-string parameters, as a notebook's parameters cell takes them."""
        return {
            "ca": self.ca,
            "distrust_date": self.distrust_date.isoformat(),
            "as_of": self.as_of.isoformat(),
            "expires_on_or_before": self.expires_on_or_before.isoformat() if self.expires_on_or_before else "",
            "issued_after": self.issued_after.isoformat() if self.issued_after else "",
            "options": ";".join(o.spec for o in self.options),
        } | ({"ignore_alternate_paths": "true"} if self.ignore_alternate_paths else {})

    def notebook_parameters(self) -> dict:
        """A report notebook's parameters cell: :meth:`parameters` with the options as a real list."""
        return {**self.parameters(), "options": [o.spec for o in self.options]}

    def describe(self, with_distrust: bool = True) -> str:
        parts = ([f"distrust {self.distrust_date}"] if with_distrust else []) + [f"snapshot {self.as_of}"]
        if self.expires_on_or_before:
            parts.append(f"excl. expiring on/before {self.expires_on_or_before}")
        if self.issued_after:
            parts.append(f"excl. issued after {self.issued_after}")
        if self.ignore_alternate_paths:
            parts.append("alternate paths ignored")
        return "; ".join(parts)


def slug(text: str) -> str:
    """A folder name from a CA name or fingerprint: lower-case ASCII, dashes."""
    import unicodedata

    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    s = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return s[:60].rstrip("-") or "ca"
