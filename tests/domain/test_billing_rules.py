"""How a billing provider's events change membership terms (``apply_billing_event``), and an
operator's grant (``manual_terms``): pure rules, checked over generated terms and times."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from starlane.domain.data import Membership
from starlane.domain.membership import (
    DAY_SECONDS,
    BillingEventType,
    MembershipTerms,
    TermsSource,
    apply_billing_event,
    manual_terms,
    rfc3339,
)

NOW = 1_800_000_000.0
GRACE = 7.0
times = st.one_of(st.none(), st.floats(NOW - 1e8, NOW + 1e8, allow_nan=False))
terms_st = st.builds(
    MembershipTerms,
    st.sampled_from(list(Membership)),
    times,
    times,
    st.sampled_from(list(TermsSource)),
)
ahead = st.floats(1.0, 400 * DAY_SECONDS, allow_nan=False)
events = st.sampled_from(list(BillingEventType))


def _apply(terms: MembershipTerms, event: BillingEventType, period_end: float) -> MembershipTerms:
    return apply_billing_event(terms, event, period_end, NOW, GRACE)


@given(
    terms=terms_st,
    event=st.sampled_from([BillingEventType.ACTIVATED, BillingEventType.RENEWED]),
    d=ahead,
)
def test_activation_and_renewal_make_a_citizen_until_the_period_end(terms, event, d):
    after = _apply(terms, event, NOW + d)
    assert after == MembershipTerms(Membership.CITIZEN, NOW + d, None, TermsSource.WEBHOOK)
    assert after.effective(NOW + d - 0.5) is Membership.CITIZEN
    assert after.effective(NOW + d) is Membership.FREE


@given(terms=terms_st, d=ahead)
def test_a_cancellation_keeps_a_citizen_until_the_period_end_then_lapses(terms, d):
    after = _apply(terms, BillingEventType.CANCELLED, NOW + d)
    if terms.effective(NOW) is not Membership.CITIZEN:
        assert after == terms  # never makes anyone a citizen
        return
    assert after.expires_at == NOW + d and after.source is TermsSource.WEBHOOK
    assert after.grace_until == terms.grace_until  # a running grace period still ends it
    assert after.effective(NOW + d) is Membership.FREE
    if terms.grace_until is None:
        assert after.effective(NOW + d - 0.5) is Membership.CITIZEN


@given(terms=terms_st, d=st.floats(-30 * DAY_SECONDS, 30 * DAY_SECONDS, allow_nan=False))
def test_a_failed_payment_gives_grace_days_then_the_tier_lapses(terms, d):
    after = _apply(terms, BillingEventType.PAYMENT_FAILED, NOW + d)
    if terms.effective(NOW) is not Membership.CITIZEN:
        assert after == terms
        return
    grace = terms.grace_until if terms.grace_until is not None else NOW + GRACE * DAY_SECONDS
    assert after.grace_until == grace  # a running grace period is not extended
    assert after.expires_at is not None and after.expires_at >= grace
    assert after.effective(grace - 0.5) is Membership.CITIZEN
    assert after.effective(grace) is Membership.FREE


def test_a_second_failure_does_not_extend_the_grace():
    citizen = _apply(MembershipTerms(), BillingEventType.ACTIVATED, NOW + 3 * DAY_SECONDS)
    once = _apply(citizen, BillingEventType.PAYMENT_FAILED, NOW + 3 * DAY_SECONDS)
    later = apply_billing_event(
        once, BillingEventType.PAYMENT_FAILED, NOW + 3 * DAY_SECONDS, NOW + DAY_SECONDS, GRACE
    )
    assert once.grace_until == later.grace_until == NOW + 7 * DAY_SECONDS


@given(d=ahead, d2=ahead)
def test_a_renewal_during_grace_restores_the_membership(d, d2):
    citizen = _apply(MembershipTerms(), BillingEventType.ACTIVATED, NOW + d)
    failed = _apply(citizen, BillingEventType.PAYMENT_FAILED, NOW + d)
    renewed = _apply(failed, BillingEventType.RENEWED, NOW + d2)
    assert renewed.grace_until is None and renewed.expires_at == NOW + d2
    assert renewed.effective(NOW + d2 - 0.5) is Membership.CITIZEN


@given(terms=terms_st, event=events, d=ahead)
def test_events_never_grant_a_free_account_anything_but_by_activation_or_renewal(terms, event, d):
    after = _apply(terms, event, NOW + d)
    if event in (BillingEventType.CANCELLED, BillingEventType.PAYMENT_FAILED):
        assert (after.effective(NOW) is Membership.CITIZEN) == (
            terms.effective(NOW) is Membership.CITIZEN
        )


@given(tier=st.sampled_from(list(Membership)), expires=times)
def test_an_operator_sets_the_tier_and_end_and_clears_the_grace(tier, expires):
    assert manual_terms(tier, expires) == MembershipTerms(tier, expires, None, TermsSource.MANUAL)


def test_times_are_rfc3339_in_utc():
    assert rfc3339(None) is None
    assert rfc3339(0.0) == "1970-01-01T00:00:00Z"
    assert rfc3339(1_800_000_000.0) == "2027-01-15T08:00:00Z"
