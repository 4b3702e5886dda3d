"""Offline CA hierarchy from the Common CA Database (CCADB): a root's intermediates and cross-signs without crt.sh.

Data: Common CA Database (CCADB), via crtsh/ccadb_data (CDLA-Permissive-2.0; see data/ccadb/README.md).

``data/ccadb/ccadb_ca_certificates_metadata.csv.gz`` has one row per CCADB-disclosed CA certificate (10,196 roots
and intermediates). Its ``verified_parent_sha256s`` lists the CCADB certificates whose subject equals this
certificate's issuer *and whose key verifies its signature* (self excluded). Every certificate sharing the
issuer's name and key appears there, so cross-certificates of an issuer are parents together -- the graph is the one
crt.sh builds in ``ca_certificate`` (a CA = a name + key, with every certificate that certifies it).

Definitions used here (RFC 5280 6.1 path building, crt.sh's CA model):

* **hierarchy of a root** -- every certificate reachable *downwards* from the root: children are the certificates
  whose verified parents include a certificate already in the hierarchy. ``depth`` 0 is the root.
* **same CA** -- two certificates with the same subject key (``spki_sha256``) and subject CN/O: crt.sh's ``ca`` row.
* **cross-sign** -- a certificate in the hierarchy whose CA (same subject + key) is also certified by a *different*
  root's hierarchy: a leaf under that CA may chain to the other root too (an alternate trust path, see
  docs/rules.md "Alternate trust paths"). ``other_roots`` lists those roots.
* **roots of a certificate** -- the self-signed certificates reached by walking verified parents upwards.
"""

from __future__ import annotations

import base64
import csv
import gzip
import hashlib
import os
from collections import deque
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

import pandas as pd

from analysis.config import CERTINOMIS_ROOT_SHA256, DATA_DIR

CCADB_DIR = DATA_DIR / "ccadb"
METADATA_CSV = CCADB_DIR / "ccadb_ca_certificates_metadata.csv.gz"
CERTINOMIS_DIR = CCADB_DIR / "certinomis"
ROOTS_WITH_DISTRUST_AFTER_DIR = CCADB_DIR / "roots_with_distrust_after"
ATTRIBUTION = "Data: Common CA Database (CCADB), via crtsh/ccadb_data"

CERTINOMIS_ROOT_CA = CERTINOMIS_ROOT_SHA256
CERTINOMIS_AUTORITE_RACINE = "FCBFE2886206F72B27593C8B070297E12D769ED10ED7930705A8098EFFC14D17"
# The two StartCom intermediates Certinomis - Root CA cross-signed on 2017-04-13 (one of Mozilla's stated reasons
# for distrusting Certinomis, Bug 1552374).
STARTCOM_BR_SSL_ICA_BY_CERTINOMIS = "6D9A258172F5CD1BDFF447EF64F9A9593070F4ACCBFD07465E4A7CBD205A5CFC"
STARTCOM_EV_SSL_ICA_BY_CERTINOMIS = "F6044A7B147C26BABAB17C5189A09BE781919E95E26F8014D6A8B9880A6BABED"

HIERARCHY_COLUMNS = [
    "sha256", "subject_cn", "subject_o", "issuer", "issuer_sha256", "depth", "path", "not_before", "not_after",
    "self_signed", "is_cross_sign", "other_roots", "spki_sha256",
]


def _utc(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series, utc=True).dt.tz_localize(None).astype("datetime64[ns]")


@lru_cache(maxsize=4)
def load_metadata(path: str | os.PathLike | None = None) -> pd.DataFrame:
    """The CCADB metadata table, indexed by ``sha256``; dates naive UTC; ``parents`` a tuple of SHA-256s.

    Cached: treat the returned frame as read-only.
    """
    m = pd.read_csv(path or METADATA_CSV, dtype=str, keep_default_na=False).replace({"": None})
    for col in ("not_before", "not_after"):
        m[col] = _utc(m[col])
    for col in ("self_signed", "basic_constraints_ca"):
        m[col] = m[col].map({"TRUE": True, "FALSE": False}).astype("boolean")
    m["parents"] = m["verified_parent_sha256s"].map(lambda s: tuple(s.split(";")) if s else ())
    return m.set_index("sha256", drop=False)


@lru_cache(maxsize=4)
def _indexes(path: str | None = None):
    """children[parent] -> list of children; same_ca[(spki, cn, o)] -> list of certificates."""
    m = load_metadata(path)
    children: dict[str, list[str]] = {}
    for sha, parents in zip(m["sha256"], m["parents"]):
        for p in parents:
            children.setdefault(p, []).append(sha)
    same_ca: dict[tuple, list[str]] = {}
    for sha, key in zip(m["sha256"], _ca_keys(m)):
        same_ca.setdefault(key, []).append(sha)
    return children, same_ca


def _ca_keys(m: pd.DataFrame) -> list[tuple]:
    return list(zip(m["spki_sha256"], m["subject_cn"].fillna(""), m["subject_o"].fillna("")))


def _ca_key(m: pd.DataFrame, sha256: str) -> tuple:
    r = m.loc[sha256]
    return (r["spki_sha256"], r["subject_cn"] or "", r["subject_o"] or "")


def _check(m: pd.DataFrame, sha256: str) -> str:
    sha = sha256.upper()
    if sha not in m.index:
        raise KeyError(f"{sha} is not in the CCADB metadata table")
    return sha


def same_ca(sha256: str, path: str | None = None) -> list[str]:
    """Every CCADB certificate for the same CA (same subject key and subject CN/O), including ``sha256`` itself."""
    m = load_metadata(path)
    sha = _check(m, sha256)
    return sorted(_indexes(path)[1][_ca_key(m, sha)])


def roots_of(sha256: str, path: str | None = None) -> list[str]:
    """The self-signed roots this certificate chains to (walking verified parents upwards), sorted.

    A self-signed certificate is its own root (and may also chain to others when it is cross-signed: only its
    *own* signature is considered here, so a self-signed root returns just itself).
    """
    m = load_metadata(path)
    sha = _check(m, sha256)
    roots, seen, todo = set(), {sha}, deque([sha])
    while todo:
        cur = todo.popleft()
        row = m.loc[cur]
        if bool(row["self_signed"]):
            roots.add(cur)
            continue
        for p in row["parents"]:
            if p not in seen and p in m.index:
                seen.add(p)
                todo.append(p)
    return sorted(roots)


def ancestors(sha256: str, path: str | None = None) -> list[str]:
    """Every certificate above ``sha256`` (verified parents, their parents, ... up to self-signed roots)."""
    m = load_metadata(path)
    sha = _check(m, sha256)
    seen, todo = set(), deque([sha])
    while todo:
        cur = todo.popleft()
        if bool(m.loc[cur, "self_signed"]) and cur != sha:
            continue
        for p in m.loc[cur, "parents"]:
            if p not in seen and p != sha and p in m.index:
                seen.add(p)
                todo.append(p)
    return sorted(seen)


def hierarchy(root_sha256: str, max_depth: int = 12, path: str | None = None) -> pd.DataFrame:
    """Every CCADB certificate below a root: the root (depth 0), its intermediates, their sub-CAs, cross-signs.

    Breadth-first, so ``depth``/``path``/``issuer_sha256`` describe a shortest path from the root
    (``path`` is the tuple of SHA-256s root -> certificate). ``is_cross_sign`` / ``other_roots``: the same CA is
    also certified under other roots (see the module docstring). Sorted by depth, not_before, subject.
    """
    m = load_metadata(path)
    root = _check(m, root_sha256)
    children, same = _indexes(path)
    paths: dict[str, tuple[str, ...]] = {root: (root,)}
    todo = deque([root])
    while todo:
        cur = todo.popleft()
        if len(paths[cur]) > max_depth:
            continue
        for child in children.get(cur, ()):
            if child not in paths:
                paths[child] = paths[cur] + (child,)
                todo.append(child)

    in_hierarchy = set(paths)
    rows = []
    for sha, p in paths.items():
        r = m.loc[sha]
        other: set[str] = set()
        if sha != root:
            for version in same[_ca_key(m, sha)]:
                other.update(roots_of(version, path))
            other.discard(root)
            # Roots that are themselves in this hierarchy (a root cross-signed by ours) are not "other" paths.
            other -= in_hierarchy
        issuer = ", ".join(x for x in (f"CN={r['issuer_cn']}" if r["issuer_cn"] else None,
                                       f"O={r['issuer_o']}" if r["issuer_o"] else None) if x)
        rows.append({
            "sha256": sha, "subject_cn": r["subject_cn"], "subject_o": r["subject_o"], "issuer": issuer,
            "issuer_sha256": p[-2] if len(p) > 1 else None, "depth": len(p) - 1, "path": p,
            "not_before": r["not_before"], "not_after": r["not_after"], "self_signed": bool(r["self_signed"]),
            "is_cross_sign": bool(other), "other_roots": tuple(sorted(other)), "spki_sha256": r["spki_sha256"],
        })
    out = pd.DataFrame(rows, columns=HIERARCHY_COLUMNS)
    out["depth"] = out["depth"].astype("int64")
    return out.sort_values(["depth", "not_before", "subject_cn"], kind="stable").reset_index(drop=True)


def connected_certificates(root_sha256s: Iterable[str], path: str | None = None) -> list[str]:
    """Every CCADB certificate connected to the given roots, for a self-contained local database:

    1. the hierarchy of each root;
    2. for each cross-signed CA in it, the other certificates for that same CA (e.g. StartCom's own versions of the
       intermediates Certinomis cross-signed);
    3. every ancestor of those, up to and including their self-signed roots, with the other certificates for each of
       those CAs too (the other roots' own cross-certificates).
    """
    out: set[str] = set()
    frontier: set[str] = set()
    for root in root_sha256s:
        h = hierarchy(root, path=path)
        out.update(h["sha256"])
        for sha in h.loc[h["is_cross_sign"], "sha256"]:
            frontier.update(same_ca(sha, path))
    # Walk up from the other versions of the cross-signed CAs; every CA met on the way brings all its certificates,
    # whose own ancestors are walked in turn, until nothing new appears.
    while frontier:
        new = frontier - out
        out.update(frontier)
        frontier = set()
        for sha in new:
            for a in ancestors(sha, path):
                frontier.update(same_ca(a, path))
        frontier -= out
    return sorted(out)


# ----------------------------------------------------------------------------------------------------------------
# Bundled PEM files
# ----------------------------------------------------------------------------------------------------------------

def bundled_pems(folder: str | os.PathLike = CERTINOMIS_DIR) -> dict[str, Path]:
    """``{SHA256: path}`` of the PEM files in a bundle folder (named ``<SHA256>.pem``)."""
    return {p.stem.upper(): p for p in sorted(Path(folder).glob("*.pem"))}


def load_pem(sha256: str, folders: Iterable[str | os.PathLike] = (CERTINOMIS_DIR, ROOTS_WITH_DISTRUST_AFTER_DIR)
             ) -> bytes:
    """The PEM bytes of a bundled certificate, looked up in the bundle folders."""
    for folder in folders:
        p = Path(folder) / f"{sha256.upper()}.pem"
        if p.exists():
            return p.read_bytes()
    raise KeyError(f"{sha256} is not in the bundled PEM folders")


def export_pems(sha256s: Iterable[str], out_dir: str | os.PathLike, pem_csv_dir: str | os.PathLike) -> list[Path]:
    """Copy certificates out of the CCADB ``AllCertificatePEMsCSVFormat_NotBeforeYear_*.csv.gz`` reports (columns
    ``SHA-256 Fingerprint``, ``X.509 Certificate (PEM)``) into ``out_dir/<SHA256>.pem``, byte-for-byte PEM text as
    CCADB publishes it. Checks each fingerprint against the PEM. How data/ccadb/*/ was made; not used by tests."""
    wanted = {s.upper() for s in sha256s}
    found: dict[str, str] = {}
    for f in sorted(Path(pem_csv_dir).glob("*.csv.gz")):
        with gzip.open(f, "rt", encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                sha = row["SHA-256 Fingerprint"].strip().upper()
                if sha in wanted and sha not in found:
                    found[sha] = row["X.509 Certificate (PEM)"].strip().strip("'") + "\n"
    missing = wanted - set(found)
    if missing:
        raise KeyError(f"not in the CCADB reports: {sorted(missing)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for sha, pem in sorted(found.items()):
        body = "".join(line for line in pem.splitlines() if line and not line.startswith("-----"))
        if hashlib.sha256(base64.b64decode(body)).hexdigest().upper() != sha:
            raise ValueError(f"{sha}: PEM does not match its fingerprint")
        p = out / f"{sha}.pem"
        p.write_text(pem, encoding="ascii")
        paths.append(p)
    return paths
