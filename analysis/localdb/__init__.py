"""A local crt.sh-compatible PostgreSQL database: throwaway clusters, crt.sh's schema and x509_* functions, a loader.

The same query files run unchanged here and on crt.sh (see docs/crtsh.md and docs/queries.md)."""

from analysis.localdb.cluster import ClusterError, LocalCluster
from analysis.localdb.loader import LoadReport, load_paths
from analysis.localdb.schema import SchemaError, create_schema

__all__ = ["LocalCluster", "ClusterError", "create_schema", "SchemaError", "load_paths", "LoadReport"]
