"""An analysis stored before templates worded the buttons still renders the same reply."""

from __future__ import annotations

from engine.models.messages import ROLLBACK
from engine.rca.messages import CONFIRM, RUN_RUNBOOK, actions, stored_button


def test_a_button_stored_with_its_label_reads_back_as_the_button_stored_now():
    item = {"change": {"kind": "model promotion", "model": "churn", "alias": "champion", "from_version": 2}}
    now = actions(1, item, 8, "restart-service")
    legacy = [{"label": "Confirmed", "action_id": CONFIRM, "value": "8:1", "style": "primary"},
              {"label": "Wrong", "action_id": "rca.wrong", "value": "8:1"},
              {"label": "Roll back churn champion to v2", "action_id": ROLLBACK, "value": "churn|2|champion",
               "style": "danger", "confirm": {"title": "Roll back?", "text": "…", "confirm": "Roll back", "deny": "Cancel"}},
              {"label": "Run restart-service", "action_id": RUN_RUNBOOK, "value": "restart-service"}]
    assert [stored_button(b) for b in legacy] == [stored_button(b) for b in now]
    assert [b.action_id for b in map(stored_button, now)] == [CONFIRM, "rca.wrong", ROLLBACK, RUN_RUNBOOK]
