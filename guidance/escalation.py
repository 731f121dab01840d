"""The complaint ladder: whom to complain to first, when their answer is due, and where to go
next. Pure Python; the wording lives in templates/tools/complaint.html.

Every channel and time limit here is one shared/facts.md states:
- the lender first: Chongqing Ant Consumer Finance for Huabei/Jiebei, or the bank that funds a
  「信用贷」/「信用购」 line (facts 2.1-2.2); the institution is expected to be asked first (1.3);
- the 2020 complaint-handling measures for banks and insurers: 15 days for a simple complaint,
  up to 30 for a complex one, and a further 30 for an especially complex one (1.4);
- then NFRA's 12378, which takes complaints about banks and consumer finance companies (1.3);
- a credit-report error is disputed with the credit reference centre or the lender that reported
  it, answered in writing within 20 days (征信业管理条例 Art. 25), then complained about to the
  local PBOC branch, answered within 30 days, or taken to court (Art. 26).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

# Days from sending to each limit: the first answer, the extended one, the further extended one.
DUE_DAYS = {"ant": (15, 30, 60), "bank": (15, 30, 60), "credit": (20,)}


@dataclass(frozen=True)
class Plan:
    route: str
    sent: datetime.date | None

    @property
    def reply_due(self) -> datetime.date | None:
        return self._due(0)

    @property
    def extended_due(self) -> datetime.date | None:
        return self._due(1)

    @property
    def furthest_due(self) -> datetime.date | None:
        return self._due(2)

    def _due(self, step: int) -> datetime.date | None:
        days = DUE_DAYS[self.route]
        if self.sent is None or step >= len(days):
            return None
        return self.sent + datetime.timedelta(days=days[step])


def guess_route(lender: str) -> str | None:
    """The route a lender's name points to ("XX银行" → bank; 花呗/借呗 → ant), if it is plain."""
    text = lender.casefold()
    if any(name in text for name in BANK_NAMES):
        return "bank"
    if any(name in text for name in ANT_NAMES):
        return "ant"
    return None


BANK_NAMES = ("银行", "銀行", "bank")
ANT_NAMES = ("花呗", "借呗", "花唄", "借唄", "蚂蚁", "螞蟻", "huabei", "jiebei", "ant consumer")
