"""Documents re-encoded piece by piece are exactly what the one converter writes for the whole aggregate."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings

from servicecore.serialization import unstructure
from servicecore.testing import HOSTILE_TEXTS, full_lifecycle
from servicecore.testing import strategies as sst
from servicecore_adapters.sqlalchemy.documents import DocumentEncoder, dumps


def test_each_snapshot_of_a_lifecycle_reencoded_from_the_previous_one_is_the_whole_document() -> None:
    encoder = DocumentEncoder()
    life = full_lifecycle("1", text=HOSTILE_TEXTS["unicode"])
    for snapshots in (life.requests, life.agreements, life.work_orders, life.acceptances):
        previous = encoder.encode(snapshots[0])
        assert previous.text == dumps(unstructure(snapshots[0]))
        for snapshot in snapshots[1:]:
            encoded = encoder.encode(snapshot, previous)
            assert encoded.text == dumps(unstructure(snapshot)), type(snapshot).__name__
            previous = encoded


def test_pieces_of_an_unrelated_aggregate_are_never_reused() -> None:
    encoder = DocumentEncoder()
    one, other = full_lifecycle("1").work_orders[-1], full_lifecycle("2", text="other").work_orders[-1]
    assert encoder.encode(other, encoder.encode(one)).text == dumps(unstructure(other))


@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(first=sst.aggregates(), second=sst.aggregates())
def test_any_aggregate_encodes_like_the_converter(first: Any, second: Any) -> None:
    encoder = DocumentEncoder()
    assert encoder.encode(first).text == dumps(unstructure(first))
    assert encoder.encode(second, encoder.encode(first)).text == dumps(unstructure(second))


def test_a_class_the_pieces_disagree_on_is_encoded_whole(monkeypatch: Any) -> None:
    from servicecore_adapters.sqlalchemy import documents

    request = full_lifecycle("1").requests[-1]
    monkeypatch.setattr(documents, "_OMITTED", frozenset({"events", "history"}))  # pieces now miss a field
    encoder = DocumentEncoder()
    assert encoder.encode(request).text == dumps(unstructure(request))
    assert encoder.encode(request, encoder.encode(request)).text == dumps(unstructure(request))
