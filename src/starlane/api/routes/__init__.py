"""The API's routers, one module per topic (auth, health, player, world, trade)."""
