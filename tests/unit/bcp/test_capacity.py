"""Scale-up per service: the formula of models/bcp_capacity.py on numbers worked by hand."""

from __future__ import annotations

from models.bcp_capacity import Action, load_share, scale_up
from tests.unit.bcp.builders import svc

AB = frozenset({"a", "b"})
ABC = frozenset({"a", "b", "c"})


def test_two_even_zones_double_the_survivor() -> None:
    need = scale_up(svc("api", {"a": 3, "b": 3}), {}, frozenset({"a"}), AB)

    assert need.action is Action.SCALE
    assert (need.lost, dict(need.needed), need.add) == (3, {"b": 6}, {"b": 3})


def test_an_uneven_split_by_instances_keeps_the_average_load_per_instance() -> None:
    # 4 instances carry the load; b alone must carry it all: 4 instances.
    need = scale_up(svc("api", {"a": 3, "b": 1}), {}, frozenset({"a"}), AB)

    assert (dict(need.needed), need.add) == ({"b": 4}, {"b": 3})


def test_observed_load_shares_the_failed_zone_among_survivors() -> None:
    # N = 6; load a .5, b .3, c .2; a fails: b gets .3/.5 = 60 % -> 3.6 -> 4, c 2.4 -> 3.
    need = scale_up(
        svc("api", {"a": 2, "b": 2, "c": 2}),
        {"a": 50.0, "b": 30.0, "c": 20.0},
        frozenset({"a"}),
        ABC,
    )

    assert need.observed_load
    assert dict(need.load_share) == {"a": 0.5, "b": 0.3, "c": 0.2}
    assert (dict(need.needed), need.add, need.total_add) == ({"b": 4, "c": 3}, {"b": 2, "c": 1}, 3)


def test_rounding_is_up_but_not_on_float_noise() -> None:
    thirds = scale_up(svc("s", {"a": 1, "b": 1, "c": 1}), {}, frozenset({"a"}), ABC)
    exact = scale_up(svc("s", {"a": 10, "b": 10, "c": 10}), {}, frozenset({"a"}), ABC)

    assert dict(thirds.needed) == {"b": 2, "c": 2}  # 1.5 each
    assert dict(exact.needed) == {"b": 15, "c": 15}  # 15.000000000000002 is 15


def test_survivors_without_observed_load_share_it_by_instances() -> None:
    # Standby zone b carried no traffic: it takes everything, at today's N = 5.
    need = scale_up(svc("s", {"a": 3, "b": 2}), {"a": 9.0}, frozenset({"a"}), AB)

    assert (dict(need.needed), need.add) == ({"b": 5}, {"b": 3})


def test_zero_instance_survivors_start_the_service_spread_evenly() -> None:
    only_a = svc("batch", {"a": 3})

    two = scale_up(only_a, {}, frozenset({"a"}), AB)
    three = scale_up(only_a, {}, frozenset({"a"}), ABC)

    assert (two.action, dict(two.needed), two.add) == (Action.START, {"b": 3}, {"b": 3})
    assert (three.action, dict(three.needed)) == (Action.START, {"b": 2, "c": 2})


def test_untouched_unknown_stranded_and_failed_services() -> None:
    untouched = scale_up(svc("s", {"b": 2}), {}, frozenset({"a"}), AB)
    unknown = scale_up(svc("s", {}), {}, frozenset({"a"}), AB)
    stranded = scale_up(svc("s", {"a": 2}), {}, frozenset({"a"}), frozenset({"a"}))
    failed = scale_up(svc("s", {"a": 1, "b": 2}), {}, frozenset(), AB, service_failed=True)

    assert (untouched.action, untouched.total_add, untouched.lost) == (Action.NONE, 0, 0)
    assert (unknown.action, dict(unknown.needed)) == (Action.UNKNOWN, {})
    assert stranded.action is Action.STRANDED
    assert (failed.action, failed.lost, dict(failed.needed)) == (
        Action.START,
        3,
        {"a": 1, "b": 2},
    )
    assert failed.total_add == 0  # restarted where they ran: nothing to add


def test_load_share_falls_back_to_instances() -> None:
    assert load_share({"a": 1, "b": 3}, {}) == ({"a": 0.25, "b": 0.75}, False)
    assert load_share({"a": 1, "b": 3}, {"a": 0.0}) == ({"a": 0.25, "b": 0.75}, False)
    assert load_share({"a": 1}, {"b": 2.0}) == ({"a": 0.0, "b": 1.0}, True)
    assert load_share({}, {}) == ({}, False)
