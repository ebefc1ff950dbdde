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
