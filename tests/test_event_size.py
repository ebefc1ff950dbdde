"""Every outgoing event fits the bus (domain/event_size.py): cut fields are flagged, an event that cannot
fit becomes a minimal one, and SNS on the moto server over HTTP takes what the bus sends."""

from __future__ import annotations

import json

import boto3
import pytest

from domain.event_size import (
    MAX_EVENT_BYTES,
    MAX_FIELD_BYTES,
    cut_utf8,
    fit_event,
    serialize_event,
    utf8_size,
)
from domain.rejections import MAX_ECHOED_BODY, Rejected, rejection_event_fields
from domain.requests import read_message
from resources.event_bus import LocalEventBus, SnsEventBus, attributes_size, make_event, message_attributes


def size(event: dict) -> int:
    return utf8_size(serialize_event(event))


@pytest.mark.parametrize("text", ["a" * 10, "é" * 10, "€" * 10, "😀" * 10, "a😀é€" * 10])
def test_cuts_fall_on_character_boundaries(text):
    for limit in range(0, utf8_size(text) + 2):
        cut, was_cut = cut_utf8(text, limit)
        assert text.startswith(cut) and utf8_size(cut) <= limit
        assert was_cut == (cut != text)
        assert utf8_size(cut) > limit - 4  # at most one character short


@pytest.mark.parametrize("filler", ["x", "é", '"', "\\", "\x00", "\u2028", "\ud800"])
def test_a_refusal_of_a_huge_body_is_cut_flagged_and_fits(filler):
    """Whatever the body is made of (quotes and NULs grow when escaped, lone surrogates cannot be
    encoded at all), the echo is cut at 64 KiB, flagged, and the whole event fits SNS."""
    raw = "{" + filler * 300_000
    rejected = read_message(raw)
    assert isinstance(rejected, Rejected)
    fields = rejection_event_fields(rejected)
    assert fields["body_truncated"] is True and fields["body_bytes"] == utf8_size(raw)
    assert utf8_size(fields["body"]) <= MAX_ECHOED_BODY and raw.startswith(fields["body"])
    event = fit_event(make_event("EVENT_REJECTED", 0, **fields))
    text = serialize_event(event)
    assert utf8_size(text) <= MAX_EVENT_BYTES
    text.encode("utf-8")  # strict: no lone surrogate left raw
    back = json.loads(text)
    assert back["body_truncated"] is True and raw.startswith(back["body"])


def test_a_small_refusal_echoes_the_body_as_it_came():
    fields = rejection_event_fields(read_message(json.dumps({"event_type": "X", "case_id": 5})))
    assert fields["body"] == {"event_type": "X", "case_id": 5} and fields["body_truncated"] is False


def test_oversized_fields_of_any_event_are_cut_and_an_event_that_cannot_fit_becomes_minimal():
    big = make_event("REPORT_FAILED", 101, event_id="e1", error="é" * 200_000, object_key="k", row_count=0)
    fitted = fit_event(big)
    assert size(fitted) <= MAX_EVENT_BYTES
    assert fitted["error_truncated"] is True and fitted["error_bytes"] == 400_000
    assert utf8_size(fitted["error"]) <= MAX_FIELD_BYTES and fitted["object_key"] == "k"
    # Five fields of 60 KiB: none over 64 KiB, together over the limit: cut further, all flagged.
    wide = make_event("X", 1, event_id="e2", **{f"f{i}": "a" * 60_000 for i in range(5)})
    fitted = fit_event(wide)
    assert size(fitted) <= MAX_EVENT_BYTES and all(fitted[f"f{i}_truncated"] for i in range(5))
    # Thousands of small fields: nothing to cut; a minimal event with the header and what fits.
    many = make_event("X", 1, event_id="e3", **{f"f{i:05d}": "a" * 900 for i in range(1000)})
    fitted = fit_event(many)
    assert size(fitted) <= MAX_EVENT_BYTES
    assert fitted["event_truncated"] is True and fitted["event_bytes"] == size(many)
    assert {k: fitted[k] for k in ("event_type", "event_id", "case_id")} == {
        "event_type": "X",
        "event_id": "e3",
        "case_id": 1,
    }
    # An event that cannot even be serialized is not a crash either.
    loop: list = []
    loop.append(loop)
    assert fit_event(make_event("X", 1, event_id="e4", cycle=loop))["event_truncated"] is True
    small = make_event("X", 1, event_id="e5", note="fine")
    assert fit_event(small) is small


def test_the_local_sink_cuts_the_same_way_and_reads_back(tmp_path):
    bus = LocalEventBus(tmp_path / "events.jsonl")
    bus.publish(make_event("REPORT_FAILED", 101, event_id="e1", error="\u2028\x85" * 200_000))
    bus.publish(make_event("REPORT_FAILED", 101, event_id="e2", error="ok"))
    first, second = bus.read_all()
    assert first["error_truncated"] is True and second["error"] == "ok"
    assert all(
        len(line.encode()) <= MAX_EVENT_BYTES for line in (tmp_path / "events.jsonl").read_text().split("\n")
    )


def test_sns_takes_every_event_the_bus_sends(moto_endpoint):
    """moto's SNS refuses a message over 256 KiB ("Message too long"), as SNS does; the bus never sends one,
    and a refusal of the service is a typed error."""
    from domain.errors import PermanentError

    sns = boto3.client("sns", endpoint_url=moto_endpoint, region_name="us-east-1")
    sqs = boto3.client("sqs", endpoint_url=moto_endpoint, region_name="us-east-1")
    topic = sns.create_topic(Name="np-size-test")["TopicArn"]
    url = sqs.create_queue(QueueName="np-size-test")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    bus = SnsEventBus(topic, sns)
    event = make_event("EXCHANGER_FAILED", 202, event_id="big", batch_id=9001, error="x" * 300_000)
    with pytest.raises(Exception, match="too long"):  # what the bus used to send
        sns.publish(TopicArn=topic, Message=json.dumps(event), MessageAttributes=message_attributes(event))
    bus.publish(event)
    [message] = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)["Messages"]
    assert len(message["Body"].encode()) + attributes_size(message_attributes(event)) <= MAX_EVENT_BYTES
    received = json.loads(message["Body"])
    assert (
        received["event_id"] == "big" and received["error_truncated"] is True and received["batch_id"] == 9001
    )
    with pytest.raises(PermanentError, match="refused"):
        SnsEventBus(topic + "-gone", sns).publish(make_event("X", 1))
