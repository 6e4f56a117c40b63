"""A finding that names a claim or a paragraph (issue 16) is labelled and linked to it."""

from __future__ import annotations

from patentdesk.drafts import labels
from patentdesk.packages.forms import InventionForm


def test_claim_and_paragraph_labels_and_anchors() -> None:
    assert (
        labels.field_label(InventionForm, "attachments/claims#4", "zh") == "权利要求书 · 权利要求 4"
    )
    assert labels.field_label(InventionForm, "attachments/claims#4", "en") == "Claims · claim 4"
    assert (
        labels.field_label(InventionForm, "attachments/description#0012", "zh") == "说明书 · [0012]"
    )
    assert labels.field_label(InventionForm, "attachments/description#p5", "en") == (
        "Description · paragraph 5"
    )
    assert labels.field_label(InventionForm, "attachments/claims", "zh") == "权利要求书"
    assert labels.anchor("attachments/claims#4") == "claim-4"
    assert labels.anchor("attachments/description#0012") == "desc-0012"
    assert labels.anchor("attachments/claims") == "attachments-section"
    assert labels.anchor("attachments/description", "description.sections") == (
        "description-findings"
    )
    assert labels.anchor("attachments/description", "parts.required") == "attachments-section"
    assert labels.field_label(InventionForm, "abstract_figure", "zh") == "摘要附图"


def test_web_message_drops_the_command_line_hint() -> None:
    message = (
        "有说明书附图时，应当指定一幅最能说明技术特征的附图作为摘要附图"
        "（package add --role abstract_drawing，abstract_figure）"
    )
    assert labels.web_message(message).endswith("作为摘要附图")
