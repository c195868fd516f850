"""Plugins every test directory can use: the throwaway PostgreSQL cluster (``postgres``, ``postgres_cluster``)."""

pytest_plugins = ["postgres_support"]
