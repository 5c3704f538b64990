"""Clients of a Starlane server: the typed HTTP/WebSocket API client and the terminal client.

``client.api`` (REST) and ``client.live`` (WebSocket) are shared by the bots, the terminal
client (``client.tui``) and the load benchmark. They talk to a server only over HTTP and the
WebSocket, never by importing the engine.
"""
