"""Which database errors mean "away for now" (503, try again) and which are mistakes."""
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from scripts.sandbox import free_port
from services.common.database import is_database_unavailable


def error_of(url, statement):
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    except Exception as error:  # noqa: BLE001 - the error is what is looked at
        return error
    finally:
        engine.dispose()
    raise AssertionError("no error")


def test_an_unreachable_postgresql_is_unavailable():
    error = error_of(f"postgresql+psycopg2://postgres@127.0.0.1:{free_port()}/x", "SELECT 1")
    assert isinstance(error, OperationalError) and is_database_unavailable(error)


def test_a_sqlite_file_that_cannot_be_opened_is_unavailable(tmp_path):
    error = error_of(f"sqlite:///{tmp_path}/missing-directory/x.db", "SELECT 1")
    assert is_database_unavailable(error)


@pytest.mark.parametrize("statement", ["SELECT * FROM no_such_table", "SELEC 1"])
def test_a_missing_table_or_a_bad_statement_is_not(tmp_path, statement):
    error = error_of(f"sqlite:///{tmp_path}/x.db", statement)
    assert isinstance(error, OperationalError) and not is_database_unavailable(error)


def test_other_errors_are_not():
    assert not is_database_unavailable(ValueError("no"))
