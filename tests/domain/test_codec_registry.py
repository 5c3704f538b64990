"""A process that only reads the event store decodes every feature's events.

``starlane projector`` imports the store and the projections, never the feature modules
(guild transfers, governance, gates...) that register their event types: the codec must
load them itself, or the read models stop at the first such event.
"""

from __future__ import annotations

import subprocess
import sys

_SCRIPT = """
import msgspec
from starlane.domain.codec import decode_event

payload = msgspec.json.encode({
    "region_id": 1, "at": 0.0, "player_id": 7, "transfer_id": "t-1", "amount": 5,
    "guild_id": 2, "credits_after": 95,
})
event = decode_event("guild_deposit_debited", 1, payload)
print(type(event).__name__, event.amount)
"""


def test_a_fresh_process_decodes_an_event_only_a_feature_module_registers() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["GuildDepositDebited", "5"]
