"""Forums: a board per region and one galaxy-wide, threads and posts in Markdown.

Public surface: :func:`starlane.forums.markup.render_markdown` (Markdown to sanitised HTML)
and :class:`starlane.forums.service.Forums` (the operations, each one unit of work with its
outbox messages and, for moderation, its audit entry). The rules are in
:mod:`starlane.domain.forums`, the tables' SQL in :mod:`starlane.store.forums`.
"""
