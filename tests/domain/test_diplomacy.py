"""Diplomacy's rules: stances and agreements as owner events and idempotent mirrors, their
replay, the discount arithmetic, expiry at the decision time, and hostile refusals at the gate."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from starlane.domain.codec import copy_state, decode_event, encode_event
from starlane.domain.commands import Arrive, Depart
from starlane.domain.data import RegionKind
from starlane.domain.diplomacy import (
    AcceptAgreement,
    AgreementExistsError,
    AgreementNotOpenError,
    CancelAgreement,
    InvalidStanceError,
    MirrorAgreement,
    MirrorStance,
    ProposeAgreement,
    SameRegionError,
    SetStance,
    UnknownAgreementError,
)
from starlane.domain.diplomacy_terms import (
    HostileRegionError,
    agreement_status,
    discounted,
    refuses_entry,
    tax_discount_pct,
    toll_discount_pct,
)
from starlane.domain.errors import InvalidCommandError, RegionSuspendedError
from starlane.domain.events import TransferDeparted, TransferRefused
from starlane.domain.model import GateLink, RegionState
from starlane.domain.policies import NotGovernorError
from starlane.domain.rules import decide, evolve
from starlane.domain.travel import check_admission
from tests.domain.conftest import T0, build_region, place, run, spawn

A, B = 3, 4
GOV_A, GOV_B = 50, 60
DAY = 86_400.0


def _pair() -> tuple[RegionState, RegionState]:
    a = build_region(RegionKind.PLAYER, region_id=A, first_sector_id=101)
    b = build_region(RegionKind.PLAYER, region_id=B, first_sector_id=201)
    a.region.governor_id, b.region.governor_id = GOV_A, GOV_B
    return a, b


def _mirror(owner: RegionState, partner: RegionState, agreement_id: str) -> list:
    agreement = owner.region.agreements[agreement_id]
    return run(partner, MirrorAgreement(GOV_A, replace(agreement)))


def _agreed(toll: int = 40, tax: int = 25, days: int = 2) -> tuple[RegionState, RegionState]:
    a, b = _pair()
    run(a, ProposeAgreement(GOV_A, B, toll, tax, days))
    _mirror(a, b, f"{A}-1")
    run(a, AcceptAgreement(GOV_B, f"{A}-1", B), T0 + 10)
    _mirror(a, b, f"{A}-1")
    return a, b


@given(st.integers(0, 10_000_000), st.integers(0, 100), st.integers(0, 100))
def test_a_discount_is_between_nothing_and_the_whole_amount_and_grows_with_the_percent(
    amount: int, pct: int, more: int
) -> None:
    low, high = sorted((pct, more))
    assert 0 <= discounted(amount, high) <= discounted(amount, low) <= amount
    assert discounted(amount, 0) == amount and discounted(amount, 100) == 0


def test_an_agreement_applies_to_both_parties_citizens_until_its_expiry() -> None:
    a, b = _agreed(toll=40, tax=25, days=2)
    agreement = a.region.agreements[f"{A}-1"]
    assert agreement == b.region.agreements[f"{A}-1"]  # the mirror is the owner's copy
    assert agreement.expires_at == T0 + 10 + 2 * DAY
    for region, home in ((a.region, B), (b.region, A)):
        assert toll_discount_pct(region, home, T0 + 11) == 40
        assert tax_discount_pct(region, home, T0 + 11) == 25
        assert tax_discount_pct(region, None, T0 + 11) == 0
        assert tax_discount_pct(region, region.id, T0 + 11) == 0  # own citizens: no agreement
    expiry = agreement.expires_at
    assert agreement_status(agreement, expiry - 1) == "active"
    assert agreement_status(agreement, expiry) == "expired"
    assert toll_discount_pct(a.region, B, expiry) == 0


def test_stances_mirror_idempotently_and_replay_exactly() -> None:
    a, b = _pair()
    events = run(a, SetStance(GOV_A, B, "hostile", True))
    assert run(a, SetStance(GOV_A, B, "hostile", True)) == []  # held already
    stance = a.region.stances[B]
    mirrored = run(b, MirrorStance(GOV_A, A, replace(stance)))
    assert len(mirrored) == 1 and run(b, MirrorStance(GOV_A, A, replace(stance))) == []
    assert b.region.stances_towards[A] == stance
    fresh = _pair()[0]
    for e in events:
        evolve(fresh, decode_event(e.type, e.version, encode_event(e)))
    assert fresh.region.stances == a.region.stances
    assert copy_state(b).region.stances_towards == b.region.stances_towards  # snapshots too


def test_a_mirror_never_goes_back_to_an_older_status() -> None:
    a, b = _agreed()
    proposed = replace(a.region.agreements[f"{A}-1"], status="proposed", accepted_by=None)
    assert run(b, MirrorAgreement(GOV_A, proposed)) == []
    assert b.region.agreements[f"{A}-1"].status == "active"
    with pytest.raises(InvalidCommandError):  # a region that is not the other party
        run(a, MirrorAgreement(GOV_A, replace(a.region.agreements[f"{A}-1"])))


def test_the_rules_refuse() -> None:
    a, b = _pair()
    refusals: list[tuple[object, type[Exception], str]] = [
        (SetStance(GOV_B, B, "allied"), NotGovernorError, "not_governor"),
        (SetStance(GOV_A, A, "allied"), SameRegionError, "same_region"),
        (SetStance(GOV_A, B, "friendly"), InvalidStanceError, "invalid_stance"),
        (SetStance(GOV_A, B, "neutral", True), InvalidStanceError, "invalid_stance"),
        (ProposeAgreement(GOV_A, B, 101, 0, 5), InvalidCommandError, "invalid_command"),
        (ProposeAgreement(GOV_A, B, 0, 0, 0), InvalidCommandError, "invalid_command"),
        (AcceptAgreement(GOV_B, f"{A}-9", B), UnknownAgreementError, "unknown_agreement"),
    ]
    for command, error, code in refusals:
        with pytest.raises(error) as refused:
            decide(a, command, T0, None)  # type: ignore[arg-type]
        assert refused.value.code == code  # type: ignore[attr-defined]
    run(a, ProposeAgreement(GOV_A, B, 10, 10, 5))
    with pytest.raises(AgreementExistsError):
        decide(a, ProposeAgreement(GOV_A, B, 10, 10, 5), T0, None)  # type: ignore[arg-type]
    with pytest.raises(NotGovernorError):  # the proposer's region does not accept
        decide(a, AcceptAgreement(GOV_A, f"{A}-1", A), T0, None)  # type: ignore[arg-type]
    run(a, CancelAgreement(GOV_B, f"{A}-1", B))
    with pytest.raises(AgreementNotOpenError):
        decide(a, CancelAgreement(GOV_A, f"{A}-1", A), T0, None)  # type: ignore[arg-type]
    with pytest.raises(AgreementNotOpenError):
        decide(a, AcceptAgreement(GOV_B, f"{A}-1", B), T0, None)  # type: ignore[arg-type]
    a.region.active = False  # a suspended owner decides no change, but mirrors still land
    with pytest.raises(RegionSuspendedError):
        decide(a, SetStance(GOV_A, B, "allied"), T0, None)  # type: ignore[arg-type]
    b.region.active = False
    assert len(_mirror(a, b, f"{A}-1")) == 1


def test_a_hostile_region_refuses_the_others_citizens_but_not_its_own_or_its_governor() -> None:
    a, _ = _pair()
    run(a, SetStance(GOV_A, B, "hostile", True))
    assert refuses_entry(a.region, 7, B)
    assert not refuses_entry(a.region, 7, None) and not refuses_entry(a.region, 7, 1)
    assert not refuses_entry(a.region, GOV_A, B)
    with pytest.raises(HostileRegionError) as refused:
        check_admission(a.region, 7, B)
    assert (refused.value.code, refused.value.kind) == ("hostile_region", "forbidden")


def _gate_pair() -> tuple[RegionState, RegionState]:
    """Terran Space (1-12, the source) and region A (101-112, toll 200), gate 12 <-> 101."""
    src = build_region()
    a, _ = _pair()
    src.sectors[12].gate = GateLink(A, 101)
    a.sectors[101].gate = GateLink(1, 12)
    a.region.policy.gate_toll = 200
    spawn(src, 7)
    place(src, 7, 12)
    return src, a


def test_the_destination_refuses_a_hostile_arrival_and_the_departure_pays_the_discounted_toll():
    src, a = _gate_pair()
    credits = src.players[7].credits
    # the discount applies while the departure is decided before the agreement's expiry
    late = decide(src, Depart(7, 101, "late", A, 200, 50, T0), T0, None)  # type: ignore[arg-type]
    assert isinstance(late[0], TransferDeparted) and late[0].toll == 200
    [departed] = run(src, Depart(7, 101, "t1", A, 200, 50, T0 + 1))
    assert isinstance(departed, TransferDeparted) and departed.toll == 100
    assert departed.player.credits == credits - 100
    # the stance turned hostile while they were on the way: the arrival is refused
    run(a, SetStance(GOV_A, B, "hostile", True))
    carried = src.transfers_out["t1"]
    [refused] = run(a, Arrive(7, "t1", 1, 101, carried, home_region_id=B))
    assert isinstance(refused, TransferRefused) and refused.reason == "hostile_region"
