"""What a domain other than a case's own may read of it.

A third party (a new owner filing a change, a requester of reexamination or invalidation)
learns nothing of an unpublished case but its number: not its title, applicants or filing
date, in a receipt or in a notice. A granted patent is published; its bibliographic data are
anyone's to read. One rule for receipts and notices alike.
"""

from __future__ import annotations

import uuid

from patentdesk.filing.models import Case


def is_published(case: Case) -> bool:
    """Granted (公告): the case keeps its patent number even while its status moves on to
    reexamination or invalidation."""
    return case.status == "granted" or case.patent_number is not None


def may_read_case(case: Case, domain_id: uuid.UUID | None) -> bool:
    """Whether ``domain_id`` may read the case's bibliographic data: its own case, or a
    published one."""
    return domain_id == case.domain_id or is_published(case)
