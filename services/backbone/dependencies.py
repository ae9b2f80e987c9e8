"""nameko dependency providers: hand each worker the process's runtime.

The runtime (see services/bootstrap.py) is built once when the process
starts; in embedded mode the same attributes are set on plain instances.
"""

from __future__ import annotations

from typing import Any

from nameko.extensions import DependencyProvider

RUNTIME_KEY = "rps.runtime"


class RuntimeProvider(DependencyProvider):
    def get_dependency(self, worker_ctx: Any) -> Any:
        return self.container.config[RUNTIME_KEY]


class ApplicationProvider(DependencyProvider):
    def __init__(self, service: str):
        self.service = service

    def get_dependency(self, worker_ctx: Any) -> Any:
        return self.container.config[RUNTIME_KEY].app(self.service)
