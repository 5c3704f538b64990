"""The game's rules as pure, deterministic Python: no I/O, no asyncio, no clock reads.

Modules:

- ``data``: the declarative tables (commodities, port classes, ships, region kinds, districts)
  and the rule numbers (``GameRules``);
- ``model``: the state (galaxy, region, sector, port, player, ship, pirate);
- ``commands``, ``events``, ``errors``: what players ask, what regions record, how they refuse;
- ``codec``: stored forms of events (JSON, upcasting) and region snapshots (MessagePack);
- ``galaxy`` (with ``galaxy_spec``, ``galaxy_fill``, ``graph``, ``galaxy_report``): generation
  from a seed, connectivity checks, summaries and fingerprints;
- ``economy``: prices, mean-price trades, lazy regeneration, tax, quotes;
- ``movement`` and ``routes``: warp costs, lazy turn regeneration, Dijkstra route planning;
- ``combat``, ``stardock``: attacks and purchases;
- ``rules``: ``decide(state, command, now, rng)`` and ``evolve(state, event)``;
- ``reads``: what a player or an admin sees (the player, sectors, ports, quotes, the StarDock
  catalogue, regions, region maps) as plain data, with fog of war decided there.
"""
