"""Guild rules: who may do what, and the region steps of a treasury transfer (applied once)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from starlane.domain.codec import decode_state, encode_state
from starlane.domain.errors import DomainError, UnknownPlayerError
from starlane.domain.guild_transfers import (
    CREDITED,
    DEBITED,
    CreditGuildWithdrawal,
    DebitGuildDeposit,
)
from starlane.domain.guilds import (
    RANK,
    RIGHTS,
    ROLES,
    GuildForbiddenError,
    check_right,
    may_act_on,
    name_key,
)
from tests.domain.conftest import build_region, run, spawn

ROLE_OR_NONE = st.sampled_from([*ROLES, None])


@given(action=st.sampled_from(sorted(RIGHTS)), role=ROLE_OR_NONE)
def test_rights_follow_the_table_and_outsiders_have_none(action: str, role: str | None) -> None:
    if role is not None and role in RIGHTS[action]:
        check_right(action, role)
    else:
        with pytest.raises(GuildForbiddenError) as refused:
            check_right(action, role)
        assert refused.value.code == "forbidden"
    # a higher role may do everything a lower one may
    if role is not None:
        for higher in ROLES:
            if RANK[higher] > RANK[role] and role in RIGHTS[action]:
                assert higher in RIGHTS[action]


@given(actor=st.sampled_from(ROLES), target=st.sampled_from(ROLES))
def test_only_a_higher_role_removes_a_member(actor: str, target: str) -> None:
    assert may_act_on(actor, target) == (RANK[actor] > RANK[target])
    assert not may_act_on(target, target)


@given(st.text(min_size=1, max_size=40))
def test_name_keys_ignore_case_and_spacing(name: str) -> None:
    key = name_key(name)
    assert name_key(f"  {name}\t ") == key == name_key(key)
    assert "  " not in key
    assert name_key(" Iron \t TRADERS") == name_key("iron traders") == "iron traders"


@given(
    start=st.integers(0, 5_000),
    steps=st.lists(
        st.tuples(st.sampled_from(["deposit", "withdraw"]), st.integers(-5, 3_000)), max_size=10
    ),
)
def test_transfer_steps_apply_once_and_never_overdraw(
    start: int, steps: list[tuple[str, int]]
) -> None:
    state = build_region()
    spawn(state, 7)
    state.players[7].credits = start
    expected = start
    for i, (kind, amount) in enumerate(steps):
        tid = f"guild-{i}"
        command = (
            DebitGuildDeposit(7, tid, amount, 1)
            if kind == "deposit"
            else CreditGuildWithdrawal(7, tid, amount, 1)
        )
        try:
            [event] = run(state, command)
        except DomainError as refused:
            assert refused.code in ("invalid_quantity", "insufficient_credits")
            assert amount <= 0 or (kind == "deposit" and amount > expected)
            assert tid not in state.transfers_in
            continue
        expected += amount if kind == "withdraw" else -amount
        assert state.players[7].credits == expected == event.credits_after >= 0
        assert state.transfers_in[tid] == (DEBITED if kind == "deposit" else CREDITED)
        assert run(state, command) == []  # a repeated delivery changes nothing
        assert state.players[7].credits == expected
    assert decode_state(encode_state(state)) == state


def test_a_step_for_a_player_elsewhere_is_refused_and_recorded_nowhere() -> None:
    state = build_region()
    with pytest.raises(UnknownPlayerError):
        run(state, DebitGuildDeposit(8, "guild-x", 10, 1))
    with pytest.raises(UnknownPlayerError):
        run(state, CreditGuildWithdrawal(8, "guild-y", 10, 1))
    assert state.transfers_in == {}
