"""Distrust Impact: how many certificates break, for whom and when, if a root program distrusts a CA."""

__version__ = "0.1.0"
