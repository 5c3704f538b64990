"""A stored Galactic Citizen tier holds until its end and its grace period, not after."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from starlane.domain.data import Membership
from starlane.domain.membership import effective_tier

times = st.one_of(st.none(), st.floats(0, 1e10, allow_nan=False))


def test_a_citizen_lapses_at_the_end_of_the_period_or_of_the_grace():
    assert effective_tier("citizen", None, None, 100.0) is Membership.CITIZEN
    assert effective_tier("citizen", 200.0, None, 199.9) is Membership.CITIZEN
    assert effective_tier("citizen", 200.0, None, 200.0) is Membership.FREE
    assert effective_tier("citizen", 500.0, 150.0, 149.0) is Membership.CITIZEN
    assert effective_tier("citizen", 500.0, 150.0, 150.0) is Membership.FREE


@given(expires=times, grace=times, now=st.floats(0, 1e10, allow_nan=False))
def test_free_stays_free_and_citizen_needs_both_times_ahead(expires, grace, now):
    assert effective_tier("free", expires, grace, now) is Membership.FREE
    ahead = all(t is None or t > now for t in (expires, grace))
    assert (effective_tier("citizen", expires, grace, now) is Membership.CITIZEN) == ahead
