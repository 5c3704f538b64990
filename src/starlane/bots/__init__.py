"""Simulated players that play a Starlane server through its public HTTP API.

``strategies`` holds the decision logic as pure functions of what a bot has observed (trader,
explorer, hunter); ``runner`` logs the bots in, runs their observe-decide-act loops with the
API client, respects rate limits and keeps the fleet's statistics.
"""
