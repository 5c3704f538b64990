"""Alembic migrations of the Starlane schema (see ``env.py``; revisions in ``versions/``)."""
