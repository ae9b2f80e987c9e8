"""The visits service: service time, monthly duty, the 30-day year, fee settlement (DOMAIN.md §3)."""
