import pytest

from tests import fixture_data


@pytest.fixture(scope="session")
def fixture_db(tmp_path_factory):
    """The hand-built database of tests/fixture_data.py (read-only: do not write to it)."""
    return fixture_data.build(tmp_path_factory.mktemp("fixture") / "fixture.duckdb")


@pytest.fixture
def fixture_con(fixture_db):
    import duckdb
    con = duckdb.connect(str(fixture_db), read_only=True)
    yield con
    con.close()
