"""The rules of citizens' proposals: who votes, how a vote is decided, and the enactment of a
passed proposal (events, replay, idempotence, the citizenship date in snapshots)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from starlane.domain.citizenship import GrantCitizenship, LeaveCitizenship
from starlane.domain.codec import decode_event, decode_state, encode_event, encode_state
from starlane.domain.data import RegionKind
from starlane.domain.errors import RegionSuspendedError
from starlane.domain.model import RegionState
from starlane.domain.policies import PolicyOutOfBoundsError
from starlane.domain.proposals import (
    DAY_SECONDS,
    CitizenTooNewError,
    EnactProposal,
    GovernorRecalled,
    NotACitizenError,
    ProposalPolicyEnacted,
    ProposalState,
    Tally,
    check_voter,
    citizen_since,
    outcome,
)
from starlane.domain.rules import evolve
from tests.domain.conftest import T0, build_region, run

GOVERNOR = 50


def _region() -> RegionState:
    state = build_region(RegionKind.PLAYER, region_id=3)
    state.region.governor_id = GOVERNOR
    state.region.opened_at = T0 - 100 * DAY_SECONDS
    return state


@given(
    yes=st.integers(0, 200),
    no=st.integers(0, 200),
    extra=st.integers(0, 400),
    quorum=st.floats(0, 1),
)
def test_quorum_then_a_simple_majority(yes: int, no: int, extra: int, quorum: float) -> None:
    tally = Tally(yes, no, yes + no + extra)
    decided = outcome(tally, quorum)
    if yes + no < max(1, math.ceil(quorum * tally.citizens - 1e-9)):
        assert decided is ProposalState.NO_QUORUM
    else:
        assert decided is (ProposalState.PASSED if yes > no else ProposalState.REJECTED)
    # one more yes never turns a pass into a failure
    if decided is ProposalState.PASSED:
        assert outcome(Tally(yes + 1, no, tally.citizens + 1), 0) is ProposalState.PASSED


def test_twenty_percent_of_ten_citizens_is_two_votes() -> None:
    assert outcome(Tally(1, 0, 10), 0.2) is ProposalState.NO_QUORUM
    assert outcome(Tally(2, 0, 10), 0.2) is ProposalState.PASSED
    assert outcome(Tally(1, 1, 10), 0.2) is ProposalState.REJECTED
    assert outcome(Tally(0, 0, 0), 0.0) is ProposalState.NO_QUORUM  # nobody voted


def test_a_citizen_votes_after_the_minimum_days_counted_from_the_grant() -> None:
    state = _region()
    run(state, GrantCitizenship(7, transfer_id="t7"), now=T0)
    region = state.region
    assert citizen_since(region, 7) == T0
    with pytest.raises(NotACitizenError):
        check_voter(region, 8, T0, 0)
    with pytest.raises(CitizenTooNewError) as refused:
        check_voter(region, 7, T0 + 7 * DAY_SECONDS - 1, 7)
    assert refused.value.context["eligible_at"] == T0 + 7 * DAY_SECONDS
    check_voter(region, 7, T0 + 7 * DAY_SECONDS, 7)
    check_voter(region, 7, T0, 0)
    # leaving forgets the date; coming back starts it again
    run(state, LeaveCitizenship(7), now=T0 + DAY_SECONDS)
    assert citizen_since(region, 7) is None
    run(state, GrantCitizenship(7, transfer_id="t7b"), now=T0 + 10 * DAY_SECONDS)
    assert citizen_since(region, 7) == T0 + 10 * DAY_SECONDS
    # a citizen from before the date was recorded counts from the region's opening
    region.citizens.append(9)
    assert citizen_since(region, 9) == region.opened_at


def test_the_citizenship_date_survives_a_snapshot() -> None:
    state = _region()
    run(state, GrantCitizenship(7, transfer_id="t7"), now=T0)
    restored = decode_state(encode_state(state), state.rules)
    assert restored.region.citizen_since == {7: T0}


def test_a_passed_policy_is_enacted_once_and_replays() -> None:
    state = _region()
    events = run(state, EnactProposal(0, 11, "policy", {"tax_rate": 0.2}))
    [e] = events
    assert isinstance(e, ProposalPolicyEnacted)
    assert (e.proposal_id, e.before, e.after) == (11, {"tax_rate": 0.1}, {"tax_rate": 0.2})
    assert state.region.policy.tax_rate == 0.2
    assert run(state, EnactProposal(0, 11, "policy", {"tax_rate": 0.2})) == []  # again: nothing
    fresh = _region()
    evolve(fresh, decode_event(e.type, e.version, encode_event(e)))
    assert fresh.region.policy.tax_rate == 0.2


def test_an_enactment_is_judged_against_the_bounds_and_the_status() -> None:
    state = _region()
    with pytest.raises(PolicyOutOfBoundsError):
        run(state, EnactProposal(0, 1, "policy", {"tax_rate": 0.5}))
    state.region.active = False
    with pytest.raises(RegionSuspendedError):
        run(state, EnactProposal(0, 1, "recall"))


def test_a_passed_recall_removes_the_governor_once() -> None:
    state = _region()
    [e] = run(state, EnactProposal(0, 5, "recall"))
    assert isinstance(e, GovernorRecalled) and e.governor_id == GOVERNOR
    assert state.region.governor_id is None
    assert run(state, EnactProposal(0, 5, "recall")) == []
    fresh = _region()
    evolve(fresh, decode_event(e.type, e.version, encode_event(e)))
    assert fresh.region.governor_id is None
