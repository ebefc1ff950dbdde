import dagster as dg
import pytest

from domain.errors import SettingsError
from resources.settings import load_settings


def test_defaults_are_embedded(tmp_path):
    s = load_settings({"NP_HOME": str(tmp_path)})
    assert s.object_store == "local" and s.db_backend == "sqlite" and s.event_bus == "local"
    assert s.object_store_root == tmp_path / "objects"
    assert s.dagster_home == tmp_path / "dagster_home"
    assert s.spark_master == "local[*]"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"NP_DB_PORT": "not-a-port"}, "NP_DB_PORT"),
        ({"NP_DB_PORT": "70000"}, "NP_DB_PORT"),
        ({"NP_OBJECT_STORE": "ftp"}, "NP_OBJECT_STORE"),
        ({"NP_DB_NAME_PREFIX": "np-case; DROP"}, "NP_DB_NAME_PREFIX"),
        ({"NP_LOG_FORMAT": "xml"}, "NP_LOG_FORMAT"),
        ({"NP_PII_TYPES": "US_SSN,HOROSCOPE"}, "NP_PII_TYPES"),
        ({"NP_PII_HOLD_TYPES": "EMAIL"}, "NP_PII_HOLD_TYPES"),
        ({"NP_CIRCUIT_FAILURES": "0"}, "NP_CIRCUIT_FAILURES"),
    ],
)
def test_malformed_values_name_the_variable(env, named, tmp_path):
    with pytest.raises(SettingsError) as err:
        load_settings({"NP_HOME": str(tmp_path), **env})
    assert named in str(err.value)


def test_production_choices_need_their_targets(tmp_path):
    with pytest.raises(SettingsError, match="NP_S3_BUCKET"):
        load_settings({"NP_HOME": str(tmp_path), "NP_OBJECT_STORE": "s3"})
    with pytest.raises(SettingsError, match="NP_SNS_TOPIC_ARN"):
        load_settings({"NP_HOME": str(tmp_path), "NP_EVENT_BUS": "sns"})


def test_settings_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("NP_HOME", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("NP_DB_BACKEND", "mysql")
    s = load_settings()
    assert s.home == (tmp_path / "elsewhere").resolve()
    assert s.db_backend == "mysql"


def test_bad_setting_stops_the_code_location_with_a_clear_message(tmp_path):
    import subprocess
    import sys

    proc = subprocess.run(
        [sys.executable, "-c", "import definitions"],
        env={"PATH": "/usr/bin:/bin", "NP_HOME": str(tmp_path), "NP_DB_BACKEND": "oracle"},
        capture_output=True,
        text=True,
    )
    assert proc.returncode != 0
    assert "NP_DB_BACKEND" in proc.stderr


# --- configuration declared once: resources, presets, EnvVar ----------------------------------

# What the UI's resource pages are drawn from: the code location's repository snapshot, whole
# (printed with it, so a secret anywhere in it would show up in stdout).
_SNAPSHOT = """
import json, sys
from dagster._core.remote_representation.external_data import RepositorySnap
from dagster_shared.serdes import serialize_value
import definitions

def shown(value):  # an EnvVar shows as its variable's name, any other value as JSON
    return {"env": value.name} if hasattr(value, "name") else json.loads(value)

snap = RepositorySnap.from_def(definitions.defs.get_repository_def())
out = {r.name: {k: shown(v) for k, v in r.configured_values.items()} for r in snap.resources}
used = sorted(snap.utilized_env_vars or {})
reprs = [repr(r) for r in definitions.defs.resources.values()]
json.dump({"resources": out, "used": used, "raw": serialize_value(snap), "repr": reprs}, sys.stdout)
"""


def test_the_definitions_show_which_variable_feeds_a_value_and_never_a_secret(tmp_path):
    import json
    import secrets
    import subprocess
    import sys

    password, mail_password, api_secret = (secrets.token_hex(12) for _ in range(3))
    env = {
        "PATH": "/usr/bin:/bin",
        "NP_HOME": str(tmp_path),
        "NP_DB_BACKEND": "mysql",
        "NP_DB_HOST": "db.internal",
        "NP_DB_PORT": "3307",
        "NP_DB_PASSWORD": password,
        "NP_SMTP_PASSWORD": mail_password,
        "NP_BACKEND_API_SECRET": api_secret,
        "NP_OPENSEARCH_PASSWORD_SECRET_ID": "np/opensearch",
        "NP_SMTP_STARTTLS": "false",
        "NP_OBJECT_STORE": "s3",
        "NP_S3_BUCKET": "np-bucket",
        "NP_REQUEST_TICK_SECONDS": "12.5",
    }
    proc = subprocess.run([sys.executable, "-c", _SNAPSHOT], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    found = json.loads(proc.stdout)
    res = found["resources"]
    assert res["databases"]["host"] == {"env": "NP_DB_HOST"}
    assert res["databases"]["port"] == {"env": "NP_DB_PORT"}
    assert res["databases"]["backend"] == {"env": "NP_DB_BACKEND"}
    assert res["object_store"]["bucket"] == {"env": "NP_S3_BUCKET"}
    assert res["io_manager"]["s3_bucket"] == {"env": "NP_S3_BUCKET"}
    assert res["mailer"]["smtp_starttls"] == {"env": "NP_SMTP_STARTTLS"}
    # What no variable set is the declared default; a float has no env source in Dagster: its value.
    assert res["databases"]["user"] == "nextpoint"
    # Secrets: their variables, never a value; a Secrets Manager id is a setting like any other.
    assert res["databases"]["password"] == {"env": "NP_DB_PASSWORD"}
    assert res["mailer"]["smtp_password"] == {"env": "NP_SMTP_PASSWORD"}
    assert res["backend_api"]["hmac_secret"] == {"env": "NP_BACKEND_API_SECRET"}
    assert res["search_index"]["password_secret_id"] == {"env": "NP_OPENSEARCH_PASSWORD_SECRET_ID"}
    assert res["search_index"].get("password") is None and res["databases"].get("password_secret_id") is None
    assert res["request_queue"]["tick_seconds"] == 12.5
    assert res["object_store"]["root"] == str(tmp_path.resolve() / "objects")
    assert {"NP_DB_HOST", "NP_DB_PORT", "NP_S3_BUCKET", "NP_DB_PASSWORD"} <= set(found["used"])
    assert any("DatabaseResource(" in r for r in found["repr"])
    for secret in (password, mail_password, api_secret):  # the snapshot, reprs and logs, whole
        assert secret not in proc.stdout and secret not in proc.stderr


def test_a_run_reads_the_variables_when_it_starts(monkeypatch):
    import dagster as dg

    from resources.dagster_resources import MailerResource, build_resources

    monkeypatch.setenv("NP_SMTP_STARTTLS", "false")
    monkeypatch.setenv("NP_SMTP_PORT", "2525")
    monkeypatch.setenv("NP_MAIL_FROM", "ops@example.test")
    mailer = build_resources(load_settings())["mailer"]
    assert mailer.__dict__["smtp_port"] == dg.EnvVar("NP_SMTP_PORT")  # unread until a run or tick starts
    seen = {}

    @dg.asset
    def reads_mailer(mailer: MailerResource) -> None:
        seen.update(port=mailer.smtp_port, starttls=mailer.smtp_starttls, sender=mailer.sender)

    assert dg.materialize([reads_mailer], resources={"mailer": mailer}).success
    assert seen == {"port": 2525, "starttls": False, "sender": "ops@example.test"}
    # Plain code holding the same object gets the values too (scripts, tests).
    assert mailer.live().smtp_port == 2525 and mailer.mailer().sender == "ops@example.test"


def test_presets_are_data_and_a_set_variable_wins(tmp_path):
    from resources.presets import PRESETS
    from resources.settings import preset_values

    for environment in PRESETS:
        preset_values(environment)  # every preset names real fields
    with pytest.raises(SettingsError, match="NP_S3_BUCKET"):
        load_settings({"NP_HOME": str(tmp_path), "NP_ENVIRONMENT": "production"})
    production = {"NP_HOME": str(tmp_path), "NP_ENVIRONMENT": "production", "NP_S3_BUCKET": "b"}
    production |= {"NP_SNS_TOPIC_ARN": "arn:aws:sns:us-east-1:1:t"}
    s = load_settings(production)
    assert (s.object_store, s.db_backend, s.event_bus, s.mailer, s.log_format) == (
        "s3",
        "mysql",
        "sns",
        "smtp",
        "json",
    )
    s = load_settings({**production, "NP_DB_BACKEND": "sqlite", "NP_LOG_FORMAT": "text"})
    assert (s.db_backend, s.log_format) == ("sqlite", "text")
    laptop = load_settings({"NP_HOME": str(tmp_path)})
    assert (laptop.object_store, laptop.db_backend, laptop.mailer) == ("local", "sqlite", "local")


def test_every_documented_variable_is_a_setting_and_every_setting_is_documented():
    import re
    from pathlib import Path

    from resources.settings import Settings

    text = (Path(__file__).resolve().parents[1] / "docs" / "operations.md").read_text()
    section = text.split("## Configuration reference", 1)[1].split("\n## ", 1)[0]
    first_cells = [row.split("|")[1] for row in section.splitlines() if row.startswith("| `NP_")]
    documented = {name for cell in first_cells for name in re.findall(r"`(NP_[A-Z0-9_]+)`", cell)}
    declared = {f"NP_{name.upper()}" for name in Settings.model_fields}
    assert documented - declared == set()
    assert declared - documented == set()


def test_each_setting_is_declared_once():
    from resources.config import env_name
    from resources.dagster_resources import RESOURCE_CLASSES
    from resources.settings import Knobs

    owners: dict[str, set[str]] = {}
    for cls in RESOURCE_CLASSES.values():
        for info in cls.model_fields.values():
            if env_name(info):
                owners.setdefault(env_name(info), set()).add(cls.__name__)
    assert not {f"NP_{n.upper()}" for n in Knobs.model_fields} & set(owners)
    # NP_AWS_REGION is the one field three resources share (one declaration, AWS_REGION).
    assert {env for env, classes in owners.items() if len(classes) > 1} == {"NP_AWS_REGION"}


# --- secrets: dg.EnvVar fields, read on use, never shown ----------------------------------------


def _run_reading(resource_key: str, resource, read) -> tuple[dict, dg.DagsterInstance, str]:
    """Materialize one asset that reads `resource` with `read(resource)`; what it saw, the instance
    and the run id (to look through what Dagster stored of the run)."""
    seen: dict = {}

    @dg.asset(required_resource_keys={resource_key})
    def reads_secret(context: dg.AssetExecutionContext) -> None:
        seen.update(read(getattr(context.resources, resource_key)))

    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize([reads_secret], resources={resource_key: resource}, instance=instance)
    assert result.success
    return seen, instance, result.run_id


def _stored(instance: dg.DagsterInstance, run_id: str) -> str:
    """Everything Dagster keeps of a run: its record (run config, tags) and its event log."""
    from dagster_shared.serdes import serialize_value

    run = instance.get_run_by_id(run_id)
    return serialize_value(run) + "".join(serialize_value(e) for e in instance.all_logs(run_id))


def test_a_run_reads_the_secret_and_nothing_shows_it(monkeypatch):
    import secrets

    from resources.dagster_resources import build_resources

    value = secrets.token_hex(12)
    monkeypatch.setenv("NP_BACKEND_API_URL", "http://127.0.0.1:9/api")
    monkeypatch.setenv("NP_BACKEND_API_SECRET", value)
    settings = load_settings()
    api = build_resources(settings)["backend_api"]
    assert api.__dict__["hmac_secret"] == dg.EnvVar("NP_BACKEND_API_SECRET")  # read when the run starts

    def read(resource):
        adapter = resource.api()
        return {
            "secret": adapter.secret.get(),
            "shown": repr(resource) + str(resource) + repr(vars(adapter)) + str(adapter.secret),
        }

    seen, instance, run_id = _run_reading("backend_api", api, read)
    assert seen["secret"] == value and value not in seen["shown"]
    assert "NP_BACKEND_API_SECRET" in seen["shown"]  # the name is shown, the value never
    assert value not in _stored(instance, run_id)
    assert value not in repr(settings) and value not in repr(api.live())


def test_a_secret_reaches_the_definitions_only_as_its_variable(tmp_path):
    from resources.dagster_resources import build_resources

    settings = load_settings({"NP_HOME": str(tmp_path), "NP_SMTP_PASSWORD": "given-in-code"})
    with pytest.raises(SettingsError, match="NP_SMTP_PASSWORD is a secret"):
        build_resources(settings)


def test_a_missing_secret_names_both_variables():
    from resources.secrets import Secret

    with pytest.raises(SettingsError, match=r"set NP_SMTP_PASSWORD or NP_SMTP_PASSWORD_SECRET_ID"):
        Secret("NP_SMTP_PASSWORD").get()
    assert Secret("NP_SMTP_PASSWORD").get_if_set() is None


def test_every_secret_has_its_secrets_manager_id_beside_it():
    from resources.config import env_name
    from resources.dagster_resources import RESOURCE_CLASSES
    from resources.secrets import is_secret

    found = set()
    for cls in RESOURCE_CLASSES.values():
        fed_by = {env_name(info) for info in cls.model_fields.values()}
        for name, info in cls.model_fields.items():
            if is_secret(info):
                assert info.default is None and info.repr is False, name
                assert f"{env_name(info)}_SECRET_ID" in fed_by, name
                found.add(env_name(info))
    assert found == {"NP_DB_PASSWORD", "NP_SMTP_PASSWORD", "NP_BACKEND_API_SECRET", "NP_OPENSEARCH_PASSWORD"}


def test_secrets_manager_secret_is_fetched_on_each_use(moto_endpoint, monkeypatch):
    """Over HTTP from the moto server: the id is the setting, the value is fetched on use, so a
    rotated secret is picked up by the next use without a restart."""
    import boto3

    from resources.dagster_resources import build_resources

    client = boto3.client("secretsmanager", endpoint_url=moto_endpoint, region_name="us-east-1")
    arn = client.create_secret(Name=f"np/smtp-{id(client)}", SecretString="first-made-up")["ARN"]
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", moto_endpoint)
    monkeypatch.setenv("NP_SMTP_PASSWORD_SECRET_ID", arn)
    mailer = build_resources(load_settings())["mailer"]
    assert mailer.__dict__["smtp_password_secret_id"] == dg.EnvVar("NP_SMTP_PASSWORD_SECRET_ID")

    def read(resource):
        secret = resource.secret_of("smtp_password")
        first = secret.get()
        client.put_secret_value(SecretId=arn, SecretString="second-made-up")
        return {"first": first, "second": secret.get(), "shown": repr(secret)}

    seen, instance, run_id = _run_reading("mailer", mailer, read)
    assert (seen["first"], seen["second"]) == ("first-made-up", "second-made-up")
    assert "made-up" not in seen["shown"] + _stored(instance, run_id)


def test_the_spark_copy_gets_the_password_variable_and_secret_id_never_the_value(monkeypatch):
    """The exchange's hand-off: names and ids travel to the Spark process, which reads the value."""
    from glue_scripts.exchange_copy import Connection
    from resources.dagster_resources import DatabaseResource

    monkeypatch.setenv("NP_DB_BACKEND", "mysql")
    monkeypatch.setenv("NP_DB_PASSWORD", "made-up-db-password")
    monkeypatch.setenv("NP_DB_PASSWORD_SECRET_ID", "np/db")
    conn = DatabaseResource.from_settings(load_settings()).databases().jdbc("np_case_1")
    assert (conn["password_env"], conn["password_secret_id"]) == ("NP_DB_PASSWORD", "np/db")
    assert "made-up-db-password" not in repr(conn)
    assert Connection(**conn).options()["password"] == "made-up-db-password"
