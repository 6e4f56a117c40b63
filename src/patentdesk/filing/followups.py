"""What the law asks of follow-up business that answers a notice or attacks a patent.

* **Reexamination (复审, Patent Law art. 41):** against a rejection decision (驳回决定) of
  the same application, within three months of its delivery (the decision's stored
  deadline: the delivery rule and the days off as for every notice), one live request per
  decision. A late request is refused naming the day the period ended; the way back is a
  request for restoration of rights (恢复权利请求, Implementing Rules rule 6).
* **Responses (答复):** to a notice of the same application, within its period; a rejection
  decision is answered by reexamination, not by observations.
* **Invalidation (无效宣告, art. 45):** against a granted patent, by one requester; the
  patentee's request to invalidate its own patent entirely is not admitted (Guidelines for
  Patent Examination, part IV, chapter 3, 3.2).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session as Db

from patentdesk.filing.errors import (
    DeadlinePassed,
    InvalidationByPatentee,
    NoticeOfAnotherApplication,
    ReexaminationAlreadyRequested,
    ReexaminationPeriodPassed,
    RejectionAnsweredByReexamination,
)
from patentdesk.filing.models import Case, Submission
from patentdesk.notices.deadlines import response_deadline, served_on
from patentdesk.notices.models import Notice
from patentdesk.notices.types import is_known_notice_code, is_rejection_decision
from patentdesk.timeutil import to_beijing

_STATUS = {"received": ("待审查", "awaiting the office"), "accepted": ("已受理", "accepted")}


def period_end(notice: Notice, policy: str) -> dt.date | None:
    """The last day of the notice's period: as stored when issued, or (a legacy notice of a
    type we know, stored without one) computed from its delivery."""
    if notice.deadline is not None or not is_known_notice_code(notice.code):
        return notice.deadline
    delivered = served_on(notice.dispatch_date, notice.delivered_on, notice.delivery, policy)
    return response_deadline(notice.code, delivered, "electronic", delivered)


def same_application(notice: Notice, case: Case, number: str | None) -> None:
    """The notice was issued on the application the request names."""
    if notice.case_id is not None and case.id is not None:
        if notice.case_id == case.id:
            return
    elif notice.application_number == case.application_number:
        return
    raise NoticeOfAnotherApplication(
        serial=notice.serial,
        other=notice.application_number,
        number=number or case.application_number,
        details={"serial": notice.serial, "application_number": notice.application_number},
    )


def check_reexamination(
    db: Db, notice: Notice, case: Case, number: str | None, filing_date: dt.date, policy: str
) -> None:
    same_application(notice, case, number)
    end = period_end(notice, policy)
    if end is not None and filing_date > end:
        raise ReexaminationPeriodPassed(
            deadline=end.isoformat(),
            serial=notice.serial,
            details={"deadline": end.isoformat(), "serial": notice.serial, "restoration": "100010"},
        )
    one_live_reexamination(db, notice.serial)


def one_live_reexamination(db: Db, serial: str) -> None:
    """Refuses a second live request on one decision (the partial unique index
    ``uq_submissions_live_reexam`` decides between two racing in)."""
    earlier = db.scalar(
        select(Submission)
        .where(
            Submission.business_type == "reexam",
            Submission.related_notice_serial == serial,
            Submission.status != "refused",
        )
        .limit(1)
    )
    if earlier is None:
        return
    zh, en = _STATUS.get(earlier.status, (earlier.status, earlier.status))
    raise ReexaminationAlreadyRequested(
        "已于 {filed} 针对驳回决定 {serial} 提出复审请求（{status}）：同一驳回决定只能有一件"
        "复审请求。请在“我的案件”中查看该请求",
        "A reexamination request against rejection decision {serial} was filed on {filed} "
        "({status_en}): one decision takes one request. See it under My cases",
        filed=to_beijing(earlier.received_at).strftime("%Y-%m-%d %H:%M"),
        serial=serial,
        status=zh,
        status_en=en,
        details={"submission_id": str(earlier.id)},
    )


def check_response(
    notice: Notice, case: Case, number: str | None, filing_date: dt.date, policy: str
) -> None:
    same_application(notice, case, number)
    if is_rejection_decision(notice.code):
        raise RejectionAnsweredByReexamination(serial=notice.serial)
    end = period_end(notice, policy)
    if end is not None and filing_date > end:
        raise DeadlinePassed(
            deadline=end.isoformat(),
            details={"deadline": end.isoformat(), "serial": notice.serial, "restoration": "100010"},
        )


def check_invalidation(case: Case, requester_domain: Any) -> None:
    """Called with a granted case the requester may see."""
    if case.domain_id == requester_domain:
        raise InvalidationByPatentee(number=case.patent_number or "ZL" + case.application_number)
