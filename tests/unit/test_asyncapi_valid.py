"""docs/asyncapi.yaml passes the official AsyncAPI parser (issue 16, "AsyncAPI").

Other departments generate consumers from the document with AsyncAPI's own
tooling; `rps asyncapi --check` only compares the file with the code. Here the
committed file goes through `@asyncapi/parser` (pinned in tests/web, installed
by `make web-deps`) and any error diagnostic fails the test. A missing Node.js
or parser fails, it does not skip (issue 15).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.processes import require_node_package

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "tests" / "web"


# issue 16 "AsyncAPI": deliveryMode belongs to the AMQP operation binding, not the message binding.
def test_docs_asyncapi_has_no_error_for_the_official_parser():
    require_node_package("@asyncapi/parser", "to run @asyncapi/parser")
    done = subprocess.run(["node", str(WEB / "validate_asyncapi.js"), str(ROOT / "docs" / "asyncapi.yaml")],
                          cwd=WEB, capture_output=True, text=True, timeout=120)
    lines = done.stdout.splitlines()
    errors = [line for line in lines if '"severity":0' in line]
    assert done.returncode == 0 and not errors, (
        "@asyncapi/parser rejects docs/asyncapi.yaml:\n" + "\n".join(errors[:20] + lines[-1:]) + done.stderr[-2000:])
