"""The encrypted secret store."""
