"""Segments page in AppTest: live rule size, save, validation messages, RFM, compare."""

from __future__ import annotations

from tests.app.conftest import frame_with_column, run_app

PAGE = "pages/segments.py"


def metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_rule_segment_live_size_save_and_compare(tiny_app):
    at = run_app(PAGE)
    assert at.title[0].value == "Segments"
    assert at.info[0].value.startswith("Enter a value for each condition")
    at.selectbox(key="segments.rule.0.field").set_value("frequency")
    at.selectbox(key="segments.rule.0.op").set_value(">=")
    at.text_input(key="segments.rule.0.value").set_value("2").run()
    # as of 2 Mar 2024 (the day after the data) only customer 1 has 2+ orders:
    # 190 of 390 revenue
    m = metrics(at)
    assert (m["Customers in segment"], m["Share of customers"], m["Share of revenue"]) == (
        "1", "33.3%", "48.7%")

    at.text_input(key="segments.rule.name").set_value("Repeat buyers")
    at.button(key="segments.rule.save").click().run()
    assert not at.exception
    # (the flash message is app.py's; AppTest re-runs only the page after switch_page)
    assert at.session_state["app.flash"].startswith("Saved segment 'Repeat buyers' (1 cust")
    saved = frame_with_column(at, "kind")
    assert list(saved["name"]) == ["Repeat buyers"] and list(saved["size"]) == [1]

    # saving again under the same name is refused, with the reason, and nothing is saved
    at.text_input(key="segments.rule.name").set_value("repeat BUYERS")
    at.button(key="segments.rule.save").click().run()
    assert "the name 'repeat BUYERS' is already taken" in at.error[0].value
    assert len(frame_with_column(at, "kind")) == 1

    # save an RFM group and compare the two
    at.radio(key="segments.method").set_value("RFM groups").run()
    groups = frame_with_column(at, "rfm_group")
    assert groups["customers"].sum() == 3 and "No orders yet" in set(groups["rfm_group"])
    at.button(key="segments.rfm.save").click().run()
    assert not at.exception
    saved = frame_with_column(at, "kind")
    assert len(saved) == 2
    at.multiselect(key="segments.saved.compare").set_value(list(saved["segment_id"])).run()
    cards = frame_with_column(at, "Repeat buyers")  # the side-by-side comparison
    assert set(cards.columns) == set(saved["name"])
    assert cards.loc["Customers now", "Repeat buyers"] == "1"
    assert cards.loc["Share of revenue", "Repeat buyers"].endswith("%")
    assert at.get("download_button")[0].proto.label == "Export CSV"


def test_bad_values_get_a_clear_message(tiny_app):
    at = run_app(PAGE)
    at.selectbox(key="segments.rule.0.field").set_value("monetary")
    at.text_input(key="segments.rule.0.value").set_value("lots").run()
    assert "Revenue needs a number, got 'lots'" in at.error[0].value
    at.text_input(key="segments.rule.0.value").set_value("100000").run()
    assert metrics(at)["Customers in segment"] == "0"
    at.text_input(key="segments.rule.name").set_value("Whales")
    at.button(key="segments.rule.save").click().run()
    assert "the segment is empty" in at.error[0].value


def test_attribute_columns_are_fields(tiny_app):
    at = run_app(PAGE)
    at.selectbox(key="segments.rule.0.field").set_value("region").run()
    assert at.selectbox(key="segments.rule.0.op").options == ["=", "!=", "in", "not in"]
    at.text_input(key="segments.rule.0.value").set_value("North").run()
    assert metrics(at)["Customers in segment"] == "2"
