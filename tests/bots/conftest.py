"""Bot tests reuse the in-process app fixtures of the client tests."""

from tests.client.conftest import app, transport

__all__ = ["app", "transport"]
