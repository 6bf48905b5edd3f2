from promo_core import db


def test_schema_is_idempotent_and_versioned(tmp_db_path):
    con = db.connect(tmp_db_path)
    con.close()
    con = db.connect(tmp_db_path)
    assert db.get_meta(con, "schema_version") == str(db.SCHEMA_VERSION)
    assert set(db.row_counts(con)) == set(db.TABLES)
    assert db.table_columns(con, "orders")[:3] == ["order_id", "customer_id", "order_ts"]


def test_transaction_rolls_back_everything_on_error(tmp_db_path):
    con = db.connect(tmp_db_path)
    before = db.fingerprint(con)
    try:
        with db.transaction(con) as cur:
            cur.execute("INSERT INTO customers VALUES (1, NULL)")
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert db.row_counts(con)["customers"] == 0
    assert db.fingerprint(con) == before


def test_fingerprint_changes_with_data(tmp_db_path):
    con = db.connect(tmp_db_path)
    before = db.fingerprint(con)
    con.execute("INSERT INTO customers VALUES (7, DATE '2024-01-01')")
    assert db.fingerprint(con) != before


def test_unknown_table_is_refused(tmp_db_path):
    con = db.connect(tmp_db_path)
    try:
        db.table_columns(con, "customers; DROP TABLE orders")
    except ValueError as e:
        assert "unknown table" in str(e)
    else:
        raise AssertionError("expected ValueError")


def test_meta_written_inside_a_transaction_rolls_back_with_it(tmp_db_path):
    con = db.connect(tmp_db_path)
    db.set_meta(con, "dataset_name", "before")
    try:
        with db.transaction(con) as cur:
            db.set_meta(cur, "dataset_name", "during")
            db.bump_data_version(cur)
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert db.get_meta(con, "dataset_name") == "before"
    assert db.data_version(con) == "0"
