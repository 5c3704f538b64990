"""How many WebSockets one account and one client address may hold open at once.

:class:`SocketCounts` is the app's tally (``Services.ws_counts``): a socket takes a slot of
its client address as soon as it is accepted (so sockets that never authenticate are bounded
too) and a slot of its account once authenticated; both are given back when it closes. The
WebSocket handler (:mod:`starlane.api.ws`) refuses the socket past either limit with close code
1008 and a reason naming the limit.
"""

from __future__ import annotations

from collections import Counter


class SocketCounts:
    """Open WebSockets per client address and per account."""

    def __init__(self) -> None:
        self.by_address: Counter[str] = Counter()
        self.by_account: Counter[int] = Counter()

    def take_address(self, address: str, limit: int | None) -> bool:
        """Take a slot of a client address.

        Args:
            address: the client address.
            limit: the most sockets the address may hold; None for no limit (a trusted
                network).

        Returns:
            False (and nothing taken) when the address already holds ``limit`` sockets.
        """
        if limit is not None and self.by_address[address] >= limit:
            return False
        self.by_address[address] += 1
        return True

    def release_address(self, address: str) -> None:
        """Give back a slot taken by :meth:`take_address`.

        Args:
            address: the client address.
        """
        self.by_address[address] -= 1
        if self.by_address[address] <= 0:
            del self.by_address[address]

    def take_account(self, account_id: int, limit: int) -> bool:
        """Take a slot of an account.

        Args:
            account_id: the account.
            limit: the most sockets the account may hold.

        Returns:
            False (and nothing taken) when the account already holds ``limit`` sockets.
        """
        if self.by_account[account_id] >= limit:
            return False
        self.by_account[account_id] += 1
        return True

    def release_account(self, account_id: int) -> None:
        """Give back a slot taken by :meth:`take_account`.

        Args:
            account_id: the account.
        """
        self.by_account[account_id] -= 1
        if self.by_account[account_id] <= 0:
            del self.by_account[account_id]
