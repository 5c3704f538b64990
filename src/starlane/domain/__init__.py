"""The game's rules as pure, deterministic Python: no I/O, no asyncio, no clock reads.

Modules: ``data`` (tables and rule numbers), ``model`` (state), ``commands``, ``events``,
``errors``, ``codec`` (stored forms), ``galaxy`` (generation), ``economy`` (prices, regeneration),
``movement`` (warps, routes, turns), ``combat``, ``rules`` (``decide``/``evolve``).
"""
