"""The web pages (issue 10): a static front end served by the system itself.

The pages call the public HTTP API (``/api/v1/...``) with ``fetch()`` and the
caller's bearer token, exactly as any other client does; this service only
hands out the files, the pages' configuration and, in development, tokens.
"""
