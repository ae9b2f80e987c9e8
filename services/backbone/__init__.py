"""Plumbing every service uses: settings, request context, the base aggregate,
event stores, the CloudEvents envelope, the outbox relay, buses, tracking
consumers, HTTP routing with the one error mapping, metrics and health."""
