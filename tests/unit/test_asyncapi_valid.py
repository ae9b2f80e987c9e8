"""docs/asyncapi.yaml passes the official AsyncAPI parser (issue 16, "AsyncAPI").

Other departments generate consumers from the document with AsyncAPI's own
tooling; `rps asyncapi --check` only compares the file with the code. Here the
committed file goes through `@asyncapi/parser` (pinned in tests/web, installed
by `make web-deps`) and any error diagnostic fails the test. A missing Node.js
or parser fails, it does not skip (issue 15).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "tests" / "web"


def _parser_ready() -> None:
    if shutil.which("node") is None:
        pytest.fail("Node.js is not installed (needed to run @asyncapi/parser)", pytrace=False)
    if not (WEB / "node_modules" / "@asyncapi" / "parser").is_dir():
        npm = shutil.which("npm")
        done = npm and subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=WEB,
                                      capture_output=True, text=True, timeout=300)
        if not done or done.returncode != 0:
            pytest.fail("@asyncapi/parser is not installed in tests/web and `npm ci` failed: "
                        + (done.stderr[-500:] if done else "npm not found"), pytrace=False)


# issue 16 "AsyncAPI": deliveryMode belongs to the AMQP operation binding, not the message binding.
def test_docs_asyncapi_has_no_error_for_the_official_parser():
    _parser_ready()
    done = subprocess.run(["node", str(WEB / "validate_asyncapi.js"), str(ROOT / "docs" / "asyncapi.yaml")],
                          cwd=WEB, capture_output=True, text=True, timeout=120)
    lines = done.stdout.splitlines()
    errors = [line for line in lines if '"severity":0' in line]
    assert done.returncode == 0 and not errors, (
        "@asyncapi/parser rejects docs/asyncapi.yaml:\n" + "\n".join(errors[:20] + lines[-1:]) + done.stderr[-2000:])
