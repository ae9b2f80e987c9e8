"""The programme's rules that more than one service computes (DOMAIN.md): the
calendar of service years and duty months, the duty rules, the fee formula,
the contract terms the policy names, and the one projection of contracts'
organisation. A package every service may import, and not a service itself:
no application, no routes, no settings; it imports no service."""
