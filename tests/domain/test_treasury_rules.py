"""The rules of treasury payouts and of citizenship, without engines."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from starlane.domain.citizenship import (
    STARTING_CREDITS,
    CitizenshipGranted,
    CitizenshipRefusedError,
    CloseCitizenshipMove,
    GrantCitizenship,
    LeaveCitizenship,
)
from starlane.domain.codec import decode_state, encode_state
from starlane.domain.data import Immigration, RegionKind
from starlane.domain.errors import DomainError, RegionSuspendedError, UnknownPlayerError
from starlane.domain.treasury import (
    PAID,
    RETURNED,
    CreditPayout,
    SettlePayout,
    StartPayout,
    TreasuryInsufficientError,
    TreasuryPayoutStarted,
)
from tests.domain.conftest import build_region, run, spawn


def region_with(treasury: int = 1_000):
    state = build_region(RegionKind.PLAYER, region_id=3, first_sector_id=101)
    state.region.treasury = treasury
    return state


@given(
    treasury=st.integers(0, 5_000),
    amounts=st.lists(st.integers(-10, 3_000), max_size=8),
    returned=st.lists(st.booleans(), max_size=8),
)
def test_payouts_never_overdraw_and_settle_once(treasury, amounts, returned) -> None:
    state = region_with(treasury)
    taken = 0
    for i, amount in enumerate(amounts):
        tid = f"p{i}"
        try:
            run(state, StartPayout(1, tid, amount, "withdraw"))
        except DomainError as refused:
            assert refused.code in ("invalid_quantity", "treasury_insufficient")
            assert amount <= 0 or amount > treasury - taken
            continue
        taken += amount
        assert run(state, StartPayout(1, tid, amount, "withdraw")) == []  # idempotent start
        if i < len(returned) and returned[i]:
            run(state, SettlePayout(1, tid, RETURNED))
            taken -= amount
        else:
            run(state, SettlePayout(1, tid, PAID))
        assert run(state, SettlePayout(1, tid, RETURNED)) == []  # settled once
        assert run(state, StartPayout(1, tid, amount, "withdraw")) == []
    assert state.region.treasury == treasury - taken >= 0
    assert state.payouts_out == {}
    assert decode_state(encode_state(state)) == state


def test_a_credit_is_decided_once_and_only_where_the_player_is() -> None:
    state = build_region()
    spawn(state, 7)
    credits0 = state.players[7].credits
    with pytest.raises(UnknownPlayerError):
        run(state, CreditPayout(8, "p-1", 50, 3))
    [event] = run(state, CreditPayout(7, "p-1", 50, 3))
    assert event.credits_after == credits0 + 50
    assert run(state, CreditPayout(7, "p-1", 50, 3)) == []
    assert state.players[7].credits == credits0 + 50 and state.transfers_in["p-1"] == PAID


def test_a_suspended_region_settles_and_credits_but_pays_out_only_when_asked() -> None:
    state = region_with()
    run(state, StartPayout(1, "p-1", 100, "withdraw"))
    state.region.active = False
    with pytest.raises(RegionSuspendedError):
        run(state, StartPayout(1, "p-2", 100, "withdraw"))
    assert run(state, StartPayout(1, "p-3", 100, "closure", when_inactive=True))
    assert run(state, SettlePayout(1, "p-1", PAID))
    state.region.closed = True
    with pytest.raises(RegionSuspendedError):
        run(state, StartPayout(1, "p-4", 100, "withdraw"))


@given(
    policy=st.sampled_from(list(Immigration)),
    permit=st.booleans(),
    governor=st.booleans(),
    welcome=st.integers(0, 2_000),
    treasury=st.integers(0, 2_000),
)
def test_citizenship_follows_policy_and_pays_the_welcome_once(
    policy, permit, governor, welcome, treasury
) -> None:
    state = region_with(treasury)
    region = state.region
    region.policy.immigration = policy
    region.policy.starting_credits = welcome
    region.permits = [5] if permit else []
    region.governor_id = 5 if governor else None
    admitted = policy == Immigration.OPEN or (policy == Immigration.PERMIT and (permit or governor))
    try:
        events = run(state, GrantCitizenship(5, "w-5", 1))
    except CitizenshipRefusedError:
        assert not admitted
    except TreasuryInsufficientError:
        assert admitted and welcome > treasury
    else:
        assert admitted and region.citizens == [5] and region.welcomed == [5]
        granted = events[0]
        assert isinstance(granted, CitizenshipGranted) and granted.starting_credits == welcome
        if welcome:
            started = events[1]
            assert isinstance(started, TreasuryPayoutStarted)
            assert started.reason == STARTING_CREDITS and started.amount == welcome
        assert region.treasury == treasury - welcome and region.joining == {5: 1}
        assert run(state, GrantCitizenship(5, "w-5", 1)) == []
        run(state, CloseCitizenshipMove(5))
        run(state, LeaveCitizenship(5))
        assert region.citizens == [] and region.joining == {}
        # coming back: no welcome again
        if admitted:
            again = run(state, GrantCitizenship(5, "w-5", None))
            assert again[0].starting_credits == 0 and len(again) == 1
        return
    assert region.citizens == [] and region.welcomed == [] and region.treasury == treasury
