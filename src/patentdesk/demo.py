"""A demo organisation for ``make run``: a legal person and an agency with handlers,
branches and sub-accounts, and an office user. Idempotent: seeds only once."""

from __future__ import annotations

from sqlalchemy import select

from patentdesk.audit_anchor import database as anchored_database
from patentdesk.authz import Actor
from patentdesk.config import Settings
from patentdesk.identity.models import Role, User
from patentdesk.identity.service import Context, create_office_user, register_natural_person
from patentdesk.orgs import service as orgs
from patentdesk.packages.idnumbers import resident_id_check_char, uscc_check_char

DEMO_PASSWORD = "Demo2026pass"  # noqa: S105 (published demo credentials)


def demo_id_number(serial: int) -> str:
    first17 = f"11010519900101{serial:03d}"
    return first17 + resident_id_check_char(first17)


def demo_uscc(body: str) -> str:
    return body + uscc_check_char(body)


PEOPLE = [
    ("13900000001", "王经办"),  # handler of the agency
    ("13900000002", "李代理"),  # agency sub-account, main institution
    ("13900000003", "赵代理"),  # agency sub-account, 上海分所
    ("13900000004", "陈经办"),  # handler of the legal person
    ("13900000005", "周研发"),  # legal person sub-account
]
AGENCY_USCC = demo_uscc("91110108MA01AGEN0")
LEGAL_USCC = demo_uscc("91330106MA2LEGAL0")


def _as(user: User, role: Role = Role.NATURAL, org_id=None, domain_id=None) -> Actor:
    return Actor(user_id=user.id, name=user.name, role=role, domain_id=domain_id, org_id=org_id)


def seed_demo(settings: Settings) -> list[str]:
    """Returns the lines to print: where to log in and with what."""
    db = anchored_database(settings)
    ctx = Context(settings, ip="127.0.0.1")
    lines = []
    with db.unit_of_work() as s:
        if s.scalar(select(User.id).where(User.phone == PEOPLE[0][0])) is None:
            users = {
                phone: register_natural_person(
                    s,
                    ctx,
                    phone=phone,
                    name=name,
                    id_number=demo_id_number(i + 1),
                    password=DEMO_PASSWORD,
                )
                for i, (phone, name) in enumerate(PEOPLE)
            }
            agency = orgs.register_organisation(
                s,
                ctx,
                _as(users["13900000001"]),
                kind="agency",
                name="北京示例专利代理事务所",
                uscc=AGENCY_USCC,
                agency_code="11001",
                main_password=DEMO_PASSWORD,
            )
            handler = _as(users["13900000001"], Role.HANDLER, agency.org.id)
            orgs.add_branch(s, ctx, handler, name="上海分所")
            orgs.add_sub_account(s, ctx, handler, phone="13900000002", name="李代理")
            orgs.add_sub_account(
                s, ctx, handler, phone="13900000003", name="赵代理", branch="上海分所"
            )
            legal = orgs.register_organisation(
                s,
                ctx,
                _as(users["13900000004"]),
                kind="legal",
                name="杭州示例科技有限公司",
                uscc=LEGAL_USCC,
                main_password=DEMO_PASSWORD,
            )
            legal_handler = _as(users["13900000004"], Role.HANDLER, legal.org.id)
            orgs.add_branch(s, ctx, legal_handler, name="研发中心")
            orgs.add_sub_account(
                s, ctx, legal_handler, phone="13900000005", name="周研发", branch="研发中心"
            )
            create_office_user(s, ctx, phone="13700000001", name="审查员甲", password=DEMO_PASSWORD)
    db.dispose()
    lines.append(f"Demo password for every account: {DEMO_PASSWORD}")
    lines.append(f"  agency main account (主账户): {AGENCY_USCC}  (password login)")
    lines.append(f"  legal person main account:   {LEGAL_USCC}")
    lines.append(
        "  agency handler 王经办 13900000001; sub-accounts 13900000002 (主机构), "
        "13900000003 (上海分所)"
    )
    lines.append("  legal person handler 陈经办 13900000004; sub-account 13900000005 (研发中心)")
    lines.append("  office user 审查员甲 13700000001 (password login)")
    lines.append(
        "  web login of natural persons: password + SMS code "
        "(read it with `patentdesk admin sms-outbox`)"
    )
    return lines
