"""The feedback service (DOMAIN.md)."""
