"""Block Kit validation: slack_sdk's checks plus Slack's limits it misses."""

from __future__ import annotations

from bot.workspace.blocks import validate_blocks, validate_view


def section(text="hi"):
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def button(action_id="go", text="Go", value="v"):
    return {"type": "button", "action_id": action_id, "value": value,
            "text": {"type": "plain_text", "text": text}}


def test_rich_valid_message_passes():
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Alert"}},
        {**section(), "accessory": button()},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "*a*"}]},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "ctx"}]},
        {"type": "divider"},
        {"type": "image", "image_url": "https://example.com/x.png", "alt_text": "x"},
        {"type": "actions", "elements": [button("a"), button("b"), {
            "type": "static_select", "action_id": "s",
            "options": [{"text": {"type": "plain_text", "text": "1"}, "value": "1"}]}]},
    ]
    assert validate_blocks(blocks) == []


def test_empty_text_reads_like_slack():
    assert validate_blocks([section("")]) == [
        "must be more than 0 characters [json-pointer:/blocks/0/text/text]"]


def test_block_count_limits_message_and_modal():
    assert validate_blocks([section()] * 50) == []
    assert "no more than 50 items allowed [json-pointer:/blocks]" in validate_blocks([section()] * 51)
    assert validate_blocks([section()] * 100, modal=True) == []
    assert validate_blocks([section()] * 101, modal=True)


def test_header_must_be_short_plain_text():
    errs = validate_blocks([{"type": "header", "text": {"type": "mrkdwn", "text": "x"}}])
    assert errs == ["must be one of plain_text [json-pointer:/blocks/0/text/type]"]
    errs = validate_blocks([{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}])
    assert errs == ["must be less than 151 characters [json-pointer:/blocks/0/text/text]"]
    assert validate_blocks([{"type": "header", "text": {"type": "plain_text", "text": "x" * 150}}]) == []


def test_section_text_limit():
    assert validate_blocks([section("x" * 3000)]) == []
    assert validate_blocks([section("x" * 3001)]) == [
        "must be less than 3001 characters [json-pointer:/blocks/0/text/text]"]
    assert validate_blocks([{"type": "section"}]) == [
        "must provide either text or fields [json-pointer:/blocks/0]"]


def test_button_text_and_value_limits():
    errs = validate_blocks([{"type": "actions", "elements": [button(text="x" * 76)]}])
    assert errs == ["must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]"]
    errs = validate_blocks([{"type": "actions", "elements": [button(value="v" * 2001)]}])
    assert errs == ["must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]"]


def test_action_id_unique_within_block_only():
    dup = validate_blocks([{"type": "actions", "elements": [button("a"), button("a")]}])
    assert dup == ["duplicate action_id: a [json-pointer:/blocks/0/elements/1/action_id]"]
    # Slack documents uniqueness per block: rows of items may share an action_id.
    rows = [{**section(), "block_id": f"r{i}", "accessory": button("ack", value=str(i))}
            for i in range(3)]
    assert validate_blocks(rows) == []


def test_actions_element_count_and_unknowns():
    many = [button(f"a{i}") for i in range(26)]
    assert validate_blocks([{"type": "actions", "elements": many}]) == [
        "must provide between 1 and 25 elements [json-pointer:/blocks/0/elements]"]
    assert validate_blocks([{"type": "carousel"}]) == [
        "unsupported type: carousel [json-pointer:/blocks/0/type]"]
    assert validate_blocks("nope") == ["must provide an array [json-pointer:/blocks]"]
    errs = validate_blocks([{**section(), "block_id": "x"}, {**section(), "block_id": "x"}])
    assert errs == ["duplicate block_id: x [json-pointer:/blocks/1/block_id]"]


def test_button_style_and_confirm():
    bad = {**button(), "style": "loud", "confirm": {"title": {"type": "plain_text", "text": "t"}}}
    errs = validate_blocks([{"type": "actions", "elements": [bad]}])
    assert "must be one of primary, danger [json-pointer:/blocks/0/elements/0/style]" in errs
    assert any("/confirm/confirm" in e for e in errs)


def test_view_rules():
    view = {"type": "modal", "title": {"type": "plain_text", "text": "x" * 25},
            "blocks": [{"type": "input", "block_id": "n", "label": {"type": "plain_text", "text": "N"},
                        "element": {"type": "plain_text_input", "action_id": "v"}}]}
    errs = validate_view(view)
    assert "must be less than 25 characters [json-pointer:/view/title/text]" in errs
    assert "submit is required when input blocks are present [json-pointer:/view/submit]" in errs
    view.update(title={"type": "plain_text", "text": "ok"}, submit={"type": "plain_text", "text": "Go"})
    assert validate_view(view) == []
