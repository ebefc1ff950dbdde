import email
import json
import threading

import boto3
import pytest

from domain.errors import PermanentError
from resources.event_bus import LocalEventBus, SnsEventBus, build_event_bus, make_event
from resources.mailer import LocalMailer, SmtpMailer, build_mailer
from resources.secrets import Secret


def test_local_bus_appends_whole_json_lines_from_many_threads(settings):
    bus = build_event_bus(settings)
    assert isinstance(bus, LocalEventBus)

    def publish(n):
        for i in range(50):
            bus.publish(
                make_event(
                    "REPORT_COMPLETED", 101, report_type="page_count", row_count=n * 100 + i, note="x" * 5000
                )
            )

    threads = [threading.Thread(target=publish, args=(n,)) for n in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    events = bus.read_all()
    assert len(events) == 200
    assert len({e["event_id"] for e in events}) == 200
    assert all(e["occurred_at"].endswith("Z") and e["case_id"] == 101 for e in events)


def test_event_without_required_fields_is_refused(settings):
    with pytest.raises(PermanentError):
        build_event_bus(settings).publish({"event_type": "X"})


def test_sns_publish_reaches_a_subscribed_queue_with_attributes(moto_endpoint):
    sns = boto3.client("sns", endpoint_url=moto_endpoint, region_name="us-east-1")
    sqs = boto3.client("sqs", endpoint_url=moto_endpoint, region_name="us-east-1")
    topic = sns.create_topic(Name="np-events")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="np-requests")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    event = make_event("EXCHANGER_FINISHED", 202, source_case_id=101, batch_id=9001)
    SnsEventBus(topic, sns).publish(event)
    messages = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1)["Messages"]
    envelope = json.loads(messages[0]["Body"])
    assert envelope["Type"] == "Notification"
    assert json.loads(envelope["Message"]) == event
    attributes = envelope["MessageAttributes"]
    assert attributes["eventType"]["Value"] == "EXCHANGER_FINISHED"
    assert attributes["caseId"]["Value"] == "202"
    assert attributes["batchId"]["Value"] == "9001"


def test_local_mailer_writes_eml_with_attachment(settings):
    mailer = build_mailer(settings)
    assert isinstance(mailer, LocalMailer)
    mailer.send(
        ["analyst@example.com"], "Report ready", "See attached.", [("r.csv", b"a,b\r\n1,2\r\n", "text/csv")]
    )
    files = list(settings.outbox_dir.glob("*.eml"))
    assert len(files) == 1
    message = email.message_from_bytes(files[0].read_bytes())
    assert message["To"] == "analyst@example.com"
    parts = [p for p in message.walk() if p.get_filename()]
    assert parts[0].get_payload(decode=True) == b"a,b\r\n1,2\r\n"


@pytest.mark.parametrize("bad", [[], ["no-at-sign"], ["a@b.example\nBcc: evil@x.example"]])
def test_bad_recipients_are_refused(settings, bad):
    with pytest.raises(PermanentError):
        build_mailer(settings).send(bad, "s", "b")


def test_smtp_mailer_delivers_to_a_real_smtp_server():
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Sink

    received = []

    class Capture(Sink):
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope)
            return "250 OK"

    from scripts.services import free_port

    controller = Controller(Capture(), hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        SmtpMailer(
            "127.0.0.1", controller.port, "reports@np.example", None, Secret("UNUSED"), starttls=False
        ).send(["analyst@example.com"], "Weekly review log", "Link inside")
    finally:
        controller.stop()
    assert received and received[0].rcpt_tos == ["analyst@example.com"]
    assert b"Weekly review log" in received[0].content
