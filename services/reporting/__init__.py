"""The reporting service: projections of every service's events into the
bureau's reports (DOMAIN.md §6)."""
