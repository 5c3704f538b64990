"""Starlane: a self-hostable server for a persistent, multi-regional space-trading MMO.

The packages follow ``ARCHITECTURE.md``: ``domain`` (pure rules), ``store`` (event store and
tables), ``engine`` (region engines), ``bus`` (publish/subscribe), ``api`` (FastAPI), and the
entry points ``cli``, ``client`` and ``bots``.
"""

__version__ = "0.1.0"
