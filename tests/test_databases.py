from datetime import datetime

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import OperationalError

from domain import schema
from domain.errors import CaseDatabaseMissing
from resources.dagster_resources import DatabaseResource


@pytest.fixture(params=["sqlite", "mariadb"])
def databases(request, settings):
    s = request.getfixturevalue("mysql_env") if request.param == "mariadb" else settings
    dbs = DatabaseResource.from_settings(s).databases()
    yield dbs
    for case_id in (101, 202):
        dbs.drop_database(dbs.case_db_name(case_id))
    dbs.drop_database(dbs.core_db_name)
    dbs.dispose()


def _exhibit(**kw):
    now = datetime(2024, 1, 2, 3, 4, 5)
    return {"document_id": 1, "title": "t", "created_at": now, "updated_at": now, **kw}


def test_same_code_path_on_both_backends(databases):
    databases.create_case_database(101)
    with databases.case_writer(101).begin() as conn:
        conn.execute(
            insert(schema.exhibits), [_exhibit(title='Résumé, "final"\nv2 — 日本'), _exhibit(page_count=3)]
        )
    with databases.case_reader(101).connect() as conn:
        rows = conn.execute(
            select(schema.exhibits.c.id, schema.exhibits.c.title, schema.exhibits.c.confidentiality_status)
        ).all()
    assert [r.id for r in rows] == [1, 2]
    assert rows[0].title == 'Résumé, "final"\nv2 — 日本'
    assert rows[0].confidentiality_status == 0  # the contract's default


def test_missing_case_database_is_a_clear_error(databases):
    with pytest.raises(CaseDatabaseMissing) as err:
        databases.case_reader(404)
    assert "404" in str(err.value)
    # Asking did not create it.
    assert not databases.case_exists(404)


def test_case_databases_are_separate(databases):
    databases.create_case_database(101)
    databases.create_case_database(202)
    with databases.case_writer(101).begin() as conn:
        conn.execute(insert(schema.custodians), [{"name": "only in 101"}])
    with databases.case_reader(202).connect() as conn:
        assert conn.execute(select(func.count()).select_from(schema.custodians)).scalar() == 0


def test_sqlite_reader_cannot_write(settings):
    dbs = DatabaseResource.from_settings(settings).databases()
    dbs.create_case_database(101)
    with pytest.raises(OperationalError), dbs.case_reader(101).begin() as conn:
        conn.execute(insert(schema.custodians), [{"name": "x"}])
    dbs.dispose()


def test_mysql_database_name_follows_the_contract(mysql_env):
    dbs = DatabaseResource.from_settings(mysql_env).databases()
    assert dbs.case_db_name(101) == f"{mysql_env.db_name_prefix}_101"
    dbs.create_case_database(101)
    with dbs.case_reader(101).connect() as conn:
        assert conn.execute(text("SELECT DATABASE()")).scalar() == f"{mysql_env.db_name_prefix}_101"
        charset = conn.execute(text("SELECT @@character_set_database")).scalar()
    assert charset == "utf8mb4"
    dbs.drop_database(dbs.case_db_name(101))
    dbs.dispose()
