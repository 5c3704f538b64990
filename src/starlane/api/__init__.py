"""The public HTTP and WebSocket API of a Starlane server (FastAPI).

:func:`starlane.api.app.create_app` builds the application; the request and response shapes
live in :mod:`starlane.api.schemas`. Routes (all JSON; errors are RFC 9457 problem details):

=======  ===========================================  ==========================================
method   path                                         body -> response
=======  ===========================================  ==========================================
GET      /healthz, /readyz                            -> HealthOut (no auth)
GET      /metrics                                     -> Prometheus text (no auth)
POST     /api/v1/auth/register                        RegisterRequest -> 201 RegisterResponse
POST     /api/v1/auth/login                           LoginRequest | OAuth2 form -> TokenPair
POST     /api/v1/auth/refresh                         RefreshRequest -> TokenPair
POST     /api/v1/auth/logout                          RefreshRequest -> 204
(game)   /api/v1/me, /ports, /stardock, /sectors,     one route per declared game command
         /regions                                     (:mod:`starlane.api.game_commands`;
                                                      the table: ``docs/api.md``)
POST     /api/v1/regions                              RegionRequest -> 201 ProvisionedRegionOut
                                                      (Galactic Citizens; routes/provisioning)
WS       /api/v1/ws                                   ?token= or {"op": "auth"} first
=======  ===========================================  ==========================================
"""
