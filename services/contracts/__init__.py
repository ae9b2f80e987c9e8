"""The contracts service (DOMAIN.md)."""
