"""Plugins every test directory can use: throwaway PostgreSQL (``postgres``, ``postgres_cluster``) and Redis (``redis_url``)."""

pytest_plugins = ["postgres_support", "redis_support"]
