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
GET      /api/v1/me                                   -> MeOut
POST     /api/v1/me/move                              MoveRequest -> MoveResponse
POST     /api/v1/me/autopilot                         AutopilotRequest -> AutopilotResponse
POST     /api/v1/me/scan                              -> ScanResponse
POST     /api/v1/me/attack                            AttackRequest -> CombatReport
GET      /api/v1/sectors/{sector_id}                  -> SectorOut (fog of war: 404)
GET      /api/v1/ports/{port_id}                      -> PortOut
GET      /api/v1/ports/{port_id}/quote                ?commodity&side&quantity -> QuoteOut
POST     /api/v1/ports/{port_id}/trade                TradeRequest -> TradeReceipt
GET      /api/v1/stardock                             -> StardockCatalog
POST     /api/v1/stardock/ship                        BuyShipRequest -> BuyShipReceipt
POST     /api/v1/stardock/fighters                    BuyHardwareRequest -> HardwareReceipt
POST     /api/v1/stardock/holds                       BuyHardwareRequest -> HardwareReceipt
POST     /api/v1/stardock/shields                     BuyHardwareRequest -> HardwareReceipt
POST     /api/v1/stardock/repair                      -> RepairReceipt
GET      /api/v1/regions                              ?cursor&limit -> Page[RegionOut]
GET      /api/v1/regions/{region_id}                  -> RegionOut
GET      /api/v1/regions/{region_id}/map              ?cursor&limit -> RegionMap
WS       /api/v1/ws                                   ?token= or {"op": "auth"} first
=======  ===========================================  ==========================================
"""
