"""Fees (收费): schedules as data, fee calculation sheets (费用计算页), sheet comparison.

Public interface (nothing here needs the server or a database; ``db``, a server's session,
adds the operators' shared schedules)::

    schedule_for(kind, on, data_dir=None, db=None) -> Schedule
    add_schedule(data_dir, file, replace=False) -> Schedule
    add_shared_schedule(db, data_dir, file, replace=False) -> (Schedule, replaced)
    calculate(fee_input, on=None, data_dir=None, db=None) -> FeeSheet
    explain(sheet, data_dir=None, db=None) -> {"zh", "en"}
    compare_sheet(submitted, correct) -> list[Difference]; check_sheet() raises SheetMismatch
    parse_sheet(path | text | dict) -> SubmittedSheet
    fee_input_from_package(path) -> FeeInput
"""

from patentdesk.fees.adapter import fee_input_from_package
from patentdesk.fees.calculator import calculate, explain
from patentdesk.fees.compare import (
    SubmittedSheet,
    check_sheet,
    compare_sheet,
    mismatch_error,
    parse_sheet,
)
from patentdesk.fees.errors import (
    FeeInputInvalid,
    FeeRuleError,
    PackageUnreadable,
    ScheduleConflict,
    ScheduleInvalid,
    ScheduleNotFound,
    SheetInvalid,
    SheetMismatch,
    UnknownFeeItem,
)
from patentdesk.fees.schedules import (
    ScheduleBook,
    add_schedule,
    add_shared_schedule,
    book,
    schedule_for,
)
from patentdesk.fees.schemas import Difference, FeeInput, FeeSheet, Schedule

__all__ = [
    "Difference",
    "FeeInput",
    "FeeInputInvalid",
    "FeeRuleError",
    "FeeSheet",
    "PackageUnreadable",
    "Schedule",
    "ScheduleBook",
    "ScheduleConflict",
    "ScheduleInvalid",
    "ScheduleNotFound",
    "SheetInvalid",
    "SheetMismatch",
    "SubmittedSheet",
    "UnknownFeeItem",
    "add_schedule",
    "add_shared_schedule",
    "book",
    "calculate",
    "check_sheet",
    "compare_sheet",
    "explain",
    "fee_input_from_package",
    "mismatch_error",
    "parse_sheet",
    "schedule_for",
]
