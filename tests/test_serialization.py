"""The one converter: every aggregate round-trips, and bad data is refused with a path to the problem."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import servicecore as sc
from servicecore.ports.notification import DeliveryStatus, Notification, OutboxMessage
from servicecore.serialization import AGGREGATES, converter, structure, unstructure
from servicecore.testing import (
    HOSTILE_TEXTS,
    Aggregate,
    DisciplineAggregate,
    discipline_case,
    full_lifecycle,
    sample_aggregates,
    sample_discipline_aggregates,
)
from servicecore.testing import strategies as sst

PROPERTY = settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

JSON_TYPES = (str, int, bool, type(None), list, dict)


def _is_json_ready(data: Any) -> bool:
    if isinstance(data, dict):
        return all(isinstance(k, str) and _is_json_ready(v) for k, v in data.items())
    if isinstance(data, list):
        return all(_is_json_ready(v) for v in data)
    return isinstance(data, JSON_TYPES)


# --- round trips ----------------------------------------------------------------


@pytest.mark.parametrize(
    "strategy",
    [sst.service_requests(), sst.service_agreements(), sst.work_orders(), sst.acceptances()],
    ids=["ServiceRequest", "ServiceAgreement", "WorkOrder", "Acceptance"],
)
@PROPERTY
@given(data=st.data())
def test_every_aggregate_round_trips(strategy: st.SearchStrategy[Aggregate], data: st.DataObject) -> None:
    aggregate = data.draw(strategy)
    plain = unstructure(aggregate)
    assert _is_json_ready(plain), "unstructure must give only str, int, bool, None, lists and dicts"
    assert "events" not in plain, "pending events are never serialized"

    back = structure(plain, type(aggregate))
    assert back == aggregate
    assert type(back) is type(aggregate)
    assert back.events == ()

    through_json = structure(json.loads(json.dumps(plain, ensure_ascii=False)), type(aggregate))
    assert through_json == aggregate
    # == ignores UTC offsets and decimal exponents; the serialized form does not
    assert unstructure(through_json) == plain


@PROPERTY
@given(notification=sst.notifications(), attempts=st.integers(0, 10), status=st.sampled_from(DeliveryStatus))
def test_outbox_messages_round_trip(notification: Notification, attempts: int, status: DeliveryStatus) -> None:
    message = OutboxMessage(notification=notification, status=status, attempts=attempts, last_error="x")
    plain = json.loads(json.dumps(unstructure(message)))
    assert structure(plain, OutboxMessage) == message


@pytest.mark.parametrize(
    ("label", "aggregate"), sample_aggregates("1"), ids=[label for label, _ in sample_aggregates()]
)
def test_samples_round_trip_and_keep_offsets_and_decimal_places(label: str, aggregate: Aggregate) -> None:
    plain = json.loads(json.dumps(unstructure(aggregate)))
    assert structure(plain, type(aggregate)) == aggregate
    assert unstructure(structure(plain, type(aggregate))) == plain


def test_conventions_of_the_serialized_form() -> None:
    agreement = full_lifecycle("1").agreements[-1]
    plain = unstructure(agreement)
    item = plain["revisions"][0]["terms"]["items"][0]
    assert item["unit_price"] == {"amount": "800.00", "currency": "CNY"}, "Decimal is a string, exponent kept"
    assert plain["history"][0]["at"] == agreement.history[0].at.isoformat(), "datetimes are ISO 8601"
    assert plain["history"][0]["at"].endswith("+08:00"), "datetimes keep their offset"
    assert plain["status"] == "fulfilled", "enums are their values"
    assert plain["revisions"][0]["terms"]["criteria"][0]["method"] == "site_check"
    assert unstructure(sc.Actor("E-1", "A", ["b", "a", "c"])) == {"id": "E-1", "name": "A", "roles": ["a", "b", "c"]}
    assert structure({"id": "E-1", "name": "A", "roles": ["b", "a"]}, sc.Actor).roles == frozenset({"a", "b"})


def test_the_shared_converter_is_the_one_used() -> None:
    assert converter().unstructure(sc.Money("1.50", "EUR")) == {"amount": "1.50", "currency": "EUR"}
    assert set(AGGREGATES) == {
        sc.ServiceRequest,
        sc.ServiceAgreement,
        sc.WorkOrder,
        sc.Acceptance,
        sc.Complaint,
        sc.Violation,
        sc.Appeal,
    }


# --- bad input ------------------------------------------------------------------


def _request_data() -> dict[str, Any]:
    data: dict[str, Any] = unstructure(full_lifecycle("1").requests[-1])
    return data


def _agreement_data() -> dict[str, Any]:
    data: dict[str, Any] = unstructure(full_lifecycle("1").agreements[-1])
    return data


def _errors(data: Any, cls: type[Any]) -> tuple[str, ...]:
    with pytest.raises(sc.DeserializationError) as caught:
        structure(data, cls)
    assert isinstance(caught.value, sc.ValidationError), "DeserializationError is a ValidationError"
    assert caught.value.errors, "errors must not be empty"
    return caught.value.errors


def _one_line_naming(errors: tuple[str, ...], *fragments: str) -> str:
    matching = [line for line in errors if all(fragment in line for fragment in fragments)]
    assert matching, f"no error line contains {fragments}: {errors}"
    return matching[0]


def test_missing_field_is_named() -> None:
    data = _request_data()
    del data["category"]
    line = _one_line_naming(_errors(data, sc.ServiceRequest), "@ $.category")
    assert "missing" in line


def test_wrong_enum_value_is_named() -> None:
    data = _request_data()
    data["status"] = "bogus"
    line = _one_line_naming(_errors(data, sc.ServiceRequest), "@ $.status")
    assert "RequestStatus" in line


def test_wrong_enum_value_deep_inside_is_named() -> None:
    data = _agreement_data()
    data["revisions"][1]["terms"]["criteria"][0]["method"] = "vibes"
    _one_line_naming(_errors(data, sc.ServiceAgreement), "@ $.revisions[1].terms.criteria[0].method")


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("received_at",), "2026-03-02T09:00:00"),
        (("history", 2, "at"), "2026-03-02T09:00"),
        (("first_response", "at"), "2026-03-02"),
    ],
)
def test_naive_datetime_is_refused_and_named(path: tuple[Any, ...], value: str) -> None:
    data = _request_data()
    target = data
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    expected_path = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
    line = _one_line_naming(_errors(data, sc.ServiceRequest), f"@ {expected_path}")
    assert "timezone-aware" in line


def test_unparseable_datetime_is_named() -> None:
    data = _request_data()
    data["received_at"] = "yesterday"
    _one_line_naming(_errors(data, sc.ServiceRequest), "ISO 8601", "@ $.received_at")


@pytest.mark.parametrize("amount", [800.0, 0.1, True])
def test_money_as_float_is_refused_and_named(amount: Any) -> None:
    data = _agreement_data()
    data["revisions"][0]["terms"]["items"][0]["unit_price"]["amount"] = amount
    _one_line_naming(_errors(data, sc.ServiceAgreement), "@ $.revisions[0].terms.items[0].unit_price.amount")


def test_decimal_strings_are_accepted_exactly() -> None:
    data = _agreement_data()
    data["revisions"][0]["terms"]["items"][0]["unit_price"]["amount"] = "0.10"
    agreement = structure(data, sc.ServiceAgreement)
    assert str(agreement.revisions[0].terms.items[0].unit_price.amount) == "0.10"
    data["revisions"][0]["terms"]["items"][0]["unit_price"]["amount"] = "NaN"
    _one_line_naming(_errors(data, sc.ServiceAgreement), "finite", "unit_price.amount")


def test_extra_key_is_refused_and_named() -> None:
    data = _request_data()
    data["surprise"] = 1
    _one_line_naming(_errors(data, sc.ServiceRequest), "surprise", "@ $")


def test_extra_key_deep_inside_is_refused_and_named() -> None:
    data = _request_data()
    data["customer"]["password"] = "hunter2"
    _one_line_naming(_errors(data, sc.ServiceRequest), "password", "@ $.customer")


def test_events_key_is_refused() -> None:
    data = _request_data()
    data["events"] = []
    _one_line_naming(_errors(data, sc.ServiceRequest), "events")


def test_field_validators_run_on_structure() -> None:
    data = _request_data()
    data["customer"]["id"] = "   "
    line = _one_line_naming(_errors(data, sc.ServiceRequest), "@ $.customer")
    assert line.startswith("id:"), line


def test_every_problem_is_reported_at_once() -> None:
    data = _request_data()
    del data["category"]
    data["status"] = "bogus"
    data["received_at"] = "2026-03-02T09:00:00"
    errors = _errors(data, sc.ServiceRequest)
    for path in ("$.category", "$.status", "$.received_at"):
        _one_line_naming(errors, f"@ {path}")


@pytest.mark.parametrize("data", [None, [], "REQ-1", 42])
def test_data_of_the_wrong_shape_is_refused(data: Any) -> None:
    _one_line_naming(_errors(data, sc.ServiceRequest), "@ $")


@pytest.mark.parametrize(
    ("path", "value"),
    [
        pytest.param(
            ("assessment", "feasible"),
            "false",
            id="bool-from-string",
        ),
        pytest.param(
            ("version",),
            1.9,
            id="int-from-float",
        ),
        pytest.param(
            ("work_order_ids",),
            "WO-1",
            id="tuple-from-string",
        ),
        pytest.param(
            ("category",),
            123,
            id="str-from-int",
        ),
    ],
)
def test_wrongly_typed_scalars_are_refused(path: tuple[str, ...], value: Any) -> None:
    data = _request_data()
    target = data
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    _one_line_naming(_errors(data, sc.ServiceRequest), "@ $." + ".".join(path))


# --- robustness -----------------------------------------------------------------

_JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=5),
    st.sampled_from(["2026-03-02T09:00:00", "2026-03-02T09:00:00+08:00", "1.5", "pending", ""]),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def _leaves(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path] if path else []
    if isinstance(data, dict):
        for key, value in data.items():
            found += _leaves(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _leaves(value, (*path, index))
    return found


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_corrupted_data_gives_only_deserialization_errors(data: st.DataObject) -> None:
    """Replace any one value anywhere with junk: the result is an object or a DeserializationError."""
    _, aggregate = data.draw(st.sampled_from(sample_aggregates("1")), label="sample")
    plain = unstructure(aggregate)
    path = data.draw(st.sampled_from(_leaves(plain)), label="path")
    junk = data.draw(_JUNK, label="junk")
    corrupted = copy.deepcopy(plain)
    target = corrupted
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = junk
    errors = _errors_if_any(corrupted, type(aggregate))
    assert all("@ $" in line for line in errors), errors


def _errors_if_any(data: Any, cls: type[Any]) -> tuple[str, ...]:
    try:
        structure(data, cls)
    except sc.DeserializationError as exc:
        return exc.errors
    return ()


def test_decimal_type_is_kept_for_quantities() -> None:
    agreement = structure(_agreement_data(), sc.ServiceAgreement)
    quantity = agreement.revisions[0].terms.items[1].quantity
    assert isinstance(quantity, Decimal)
    assert str(quantity) == "2.50"


# --- complaints, violations, appeals ----------------------------------------------


@pytest.mark.parametrize(
    "strategy",
    [sst.complaints(), sst.violations(), sst.appeals()],
    ids=["Complaint", "Violation", "Appeal"],
)
@PROPERTY
@given(data=st.data())
def test_every_discipline_aggregate_round_trips(
    strategy: st.SearchStrategy[DisciplineAggregate], data: st.DataObject
) -> None:
    aggregate = data.draw(strategy)
    plain = unstructure(aggregate)
    assert _is_json_ready(plain)
    assert "events" not in plain
    back = structure(json.loads(json.dumps(plain, ensure_ascii=False)), type(aggregate))
    assert back == aggregate
    assert back.events == ()
    assert unstructure(back) == plain


@pytest.mark.parametrize(
    "text", ["", HOSTILE_TEXTS["unicode"], HOSTILE_TEXTS["markup"]], ids=["plain", "cjk", "markup"]
)
def test_discipline_samples_round_trip(text: str) -> None:
    for label, aggregate in sample_discipline_aggregates("1", text=text):
        plain = json.loads(json.dumps(unstructure(aggregate)))
        assert structure(plain, type(aggregate)) == aggregate, label
        assert unstructure(structure(plain, type(aggregate))) == plain, label


def test_decisions_and_custom_categories_keep_their_form() -> None:
    complaint, violation, appeal = discipline_case("1").finals()
    plain = unstructure(violation)
    assert [d["number"] for d in plain["decisions"]] == [1, 2], "a corrected decision never replaces the original"
    assert plain["decisions"][0]["sanctions"][1]["amount"] == {"amount": "200.00", "currency": "CNY"}
    assert plain["decisions"][1]["corrects"] == 1
    assert plain["category"] == "quality_failure"
    assert unstructure(appeal)["outcome"]["upheld"] is True
    custom = sample_discipline_aggregates("1")
    withdrawn = dict(custom)["Complaint-withdrawn"]
    assert unstructure(withdrawn)["category"] == "noise at night", "a custom category is stored as its text"
    assert unstructure(complaint)["resolutions"][0]["remedies"][1]["work_order_id"] == "WO-1-r"


def test_a_fine_without_an_amount_is_refused_with_its_path() -> None:
    data: dict[str, Any] = unstructure(discipline_case("1").violations[-1])
    data["decisions"][0]["sanctions"][1]["amount"] = None
    line = _one_line_naming(_errors(data, sc.Violation), "@ $.decisions[0].sanctions[1]")
    assert "amount" in line


def test_a_wrong_sanction_kind_is_named() -> None:
    data: dict[str, Any] = unstructure(discipline_case("1").violations[-1])
    data["decisions"][1]["sanctions"][0]["kind"] = "flogging"
    _one_line_naming(_errors(data, sc.Violation), "@ $.decisions[1].sanctions[0].kind")


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_corrupted_discipline_data_gives_only_deserialization_errors(data: st.DataObject) -> None:
    _, aggregate = data.draw(st.sampled_from(sample_discipline_aggregates("1")), label="sample")
    plain = unstructure(aggregate)
    path = data.draw(st.sampled_from(_leaves(plain)), label="path")
    corrupted = copy.deepcopy(plain)
    target = corrupted
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = data.draw(_JUNK, label="junk")
    errors = _errors_if_any(corrupted, type(aggregate))
    assert all("@ $" in line for line in errors), errors
