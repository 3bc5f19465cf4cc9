"""A request as staff read it (text lines or JSON-ready data), in Vietnamese or English."""

from __future__ import annotations

from typing import Any

from archive_repo.access.rules import fee_treatment
from archive_repo.catalog.browse import code_label, vn_time
from archive_repo.catalog.models import AccessOutput, AccessRequest
from archive_repo.config import SYSTEM_ACTOR
from archive_repo.i18n import translate


def request_as_dict(request: AccessRequest, lang: str) -> dict[str, Any]:
    fee = fee_treatment(request.fee_object_type)
    return {
        "code": request.code,
        "status": request.status,
        "status_label": translate(f"access.status_{request.status}", lang),
        "created_at": vn_time(request.created_at),
        "created_by": request.created_by,
        "requester": {
            "name": request.requester_name,
            "identity_kind": request.identity_kind,
            "identity_number": request.identity_number,
        },
        "purpose": request.purpose,
        "purpose_label": code_label("purpose", request.purpose, lang),
        "purpose_content": request.purpose_content,
        "research_topic": request.research_topic,
        "description": request.description,
        "fee_object_type": request.fee_object_type,
        "fee_object_label": code_label("feeObjectType", request.fee_object_type, lang),
        "fee": {"treatment": fee.treatment, "percent": fee.percent, "text": fee_text(request, lang)},
        "kind": request.copy_kind,
        "kind_label": translate(f"access.kind_{request.copy_kind}", lang),
        "reading_days": request.reading_days,
        "copies": request.copies,
        "mode": request.mode,
        "mode_label": code_label("mode", request.mode, lang),
        "review_due_on": request.review_due_on.isoformat(),
        "decided_by": request.decided_by,
        "decided_at": vn_time(request.decided_at),
        "decision_note": decision_note(request, lang),
        "items": [
            {
                "asked_as": item.asked_as,
                "document": item.document.code,
                "package": item.package.objid,
                "mode": item.mode,
            }
            for item in request.items
        ],
        "outputs": [output_as_dict(output) for output in request.outputs],
    }


def output_as_dict(output: AccessOutput) -> dict[str, Any]:
    return {
        "id": output.id,
        "kind": output.kind,
        "path": output.path,
        "size": output.size,
        "sha256": output.sha256,
        "mimetype": output.mimetype,
        "dip_objid": output.dip_objid,
        "available_until": vn_time(output.available_until),
        "delete_after": vn_time(output.delete_after),
        "status": output.status,
    }


def decision_note(request: AccessRequest, lang: str) -> str | None:
    """Staff's note as written; the rules' own decisions (refusal of secret records, automatic approval
    of public ones) in the reader's language."""
    if request.decided_by == SYSTEM_ACTOR and request.status in ("approved", "refused", "issuing", "issued"):
        decision = "refused" if request.status == "refused" else "approved"
        return translate(f"access.system_{decision}", lang, mode=request.mode)
    return request.decision_note


def fee_text(request: AccessRequest, lang: str) -> str:
    fee = fee_treatment(request.fee_object_type)
    key = f"access.fee_{fee.treatment}"
    return translate(key, lang, percent=fee.percent, basis=fee.basis(lang))


def request_lines(request: AccessRequest, lang: str) -> list[str]:
    data = request_as_dict(request, lang)
    t = lambda key, **kw: translate(key, lang, **kw)  # noqa: E731
    lines = [
        t("access.line_code", code=data["code"], status=data["status_label"]),
        t(
            "access.line_requester",
            name=data["requester"]["name"],
            number=data["requester"]["identity_number"],
        ),
        t(
            "access.line_purpose",
            code=data["purpose"],
            label=data["purpose_label"],
            text=data["purpose_content"] or "-",
        ),
        t("access.line_kind", kind=data["kind_label"], copies=data["copies"]),
        t("access.line_fee", label=data["fee_object_label"], fee=data["fee"]["text"]),
        t("access.line_mode", mode=data["mode"], label=data["mode_label"]),
        t("access.line_due", date=data["review_due_on"]),
    ]
    if data["research_topic"]:
        lines.append(t("access.line_topic", topic=data["research_topic"]))
    if data["decided_by"]:
        lines.append(
            t(
                "access.line_decided",
                who=data["decided_by"],
                when=data["decided_at"],
                note=data["decision_note"] or "-",
            )
        )
    for item in data["items"]:
        lines.append(
            t("access.line_item", document=item["document"], asked=item["asked_as"], mode=item["mode"])
        )
    for output in data["outputs"]:
        lines.append(
            t(
                "access.line_output",
                id=output["id"],
                kind=translate(f"access.kind_{output['kind']}", lang),
                path=output["path"],
                until=output["available_until"],
                status=translate(f"access.output_{output['status']}", lang),
            )
        )
    return lines
