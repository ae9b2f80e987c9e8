"""Report builders: read models in, report JSON out (API.md "Report JSON")."""
