"""Team accounts through the Python client, against a real `tally serve` (started here on a
free port with a manual clock; stopped at the end). docs/api.md "Teams": a shared wallet with
members and their roles, budgets per member and per project, checked with every debit.
"""

from __future__ import annotations

import datetime
import itertools
import unittest
from decimal import Decimal

import tally_client as tc
from tally_server import ServerTestCase

_ids = itertools.count(1)


class TeamsTest(ServerTestCase):
    def new_team(self) -> tuple[str, tc.Account]:
        account = f"py-team-{next(_ids)}"
        # The built-in configuration's `pro` plan allows teams of up to 5 members.
        return account, self.client.open_account(account, plan="pro", kind="team", owner="olu")

    def test_members_are_added_changed_and_removed(self):
        account, opened = self.new_team()
        self.assertEqual(opened.kind, "team")
        self.assertEqual(self.client.get_account(account).kind, "team")
        (summary,) = [a for a in self.client.iter_accounts(prefix=account) if a.id == account]
        self.assertEqual(summary.kind, "team")
        self.assertEqual([a.id for a in self.client.iter_accounts(prefix=account, kind="team")], [account])
        self.assertEqual(list(self.client.iter_accounts(prefix=account, kind="personal")), [])
        (owner,) = self.client.list_members(account).members
        self.assertEqual((owner.account, owner.user, owner.role), (account, "olu", "owner"))

        ben = self.client.add_member(account, "ben")
        self.assertIsInstance(ben, tc.Member)
        self.assertEqual((ben.user, ben.role), ("ben", "member"))  # the default role
        self.assertIsInstance(ben.added_at, datetime.datetime)
        self.assertEqual(self.client.add_member(account, "cy", role="viewer").role, "viewer")
        with self.assertRaises(tc.MemberExists):
            self.client.add_member(account, "ben", role="admin")
        self.assertEqual(self.client.set_member_role(account, "cy", "admin").role, "admin")
        removed = self.client.remove_member(account, "cy")
        self.assertEqual((removed.user, removed.role), ("cy", "admin"))  # as it was
        listed = self.client.list_members(account)
        self.assertIsInstance(listed, tc.Members)
        self.assertEqual([(m.user, m.role) for m in listed.members], [("olu", "owner"), ("ben", "member")])
        with self.assertRaises(tc.NotAMember):
            self.client.set_member_role(account, "cy", "member")
        # A team keeps at least one owner.
        with self.assertRaises(tc.InvalidRequest):
            self.client.remove_member(account, "olu")
        with self.assertRaises(tc.InvalidRequest):
            self.client.set_member_role(account, "olu", "admin")
        # `pro` allows 5 members.
        for user in ("d1", "d2", "d3"):
            self.client.add_member(account, user)
        with self.assertRaises(tc.LimitExceeded):
            self.client.add_member(account, "d4")
        personal = f"py-solo-{next(_ids)}"
        self.assertEqual(self.client.open_account(personal).kind, "personal")
        with self.assertRaises(tc.InvalidRequest):
            self.client.add_member(personal, "ben")

    def test_a_hard_budget_refuses_a_debit_whole_and_usage_reads_back(self):
        account, _ = self.new_team()
        self.client.add_member(account, "ben")
        self.client.add_member(account, "vi", role="viewer")
        made = self.client.add_budget(account, "ben-daily", 10, "P1D", member="ben")
        self.assertIsInstance(made, tc.Budget)
        self.assertEqual((made.account, made.id, made.member, made.project), (account, "ben-daily", "ben", None))
        self.assertEqual((made.limit, made.limit_micro, made.used, made.left), (Decimal(10), 10_000_000, Decimal(0), Decimal(10)))
        self.assertEqual((made.period, made.mode, made.exceeded), ("P1D", "hard", False))
        self.assertEqual(made.period_end - made.period_start, datetime.timedelta(days=1))
        self.assertEqual(made.anchor, made.period_start)  # the calendar day, in UTC
        self.assertEqual(made.counting_from, made.created_at)  # made mid-period: counts from then
        with self.assertRaises(tc.BudgetExists):
            self.client.add_budget(account, "ben-daily", 5, "P1W", project="site")

        # A hold counts its whole amount, a spend its amount.
        hold = self.client.create_hold(account, amount=4, member="ben", project="site")
        spend = self.client.create_spend(account, amount=5, member="ben", project="site")
        self.assertEqual(self.client.get_budget(account, "ben-daily").used, Decimal(9))
        before = self.client.get_account(account).balance
        with self.assertRaises(tc.BudgetExceeded) as refused:
            self.client.create_spend(account, amount=3, member="ben")
        e = refused.exception
        self.assertEqual((e.status, e.type), (402, "budget_exceeded"))
        self.assertNotIsInstance(e, tc.InsufficientCredits)  # credits would not help
        self.assertIsInstance(e.budget, tc.BudgetRefusal)
        self.assertEqual(e.budget.id, "ben-daily")
        self.assertEqual((e.budget.limit, e.budget.used, e.budget.left), (Decimal(10), Decimal(9), Decimal(1)))
        self.assertEqual((e.budget.left_micro, e.shortfall, e.shortfall_micro), (1_000_000, Decimal(2), 2_000_000))
        self.assertEqual(self.client.get_account(account).balance, before)  # nothing was taken

        # A release and a refund give budget back.
        self.client.release(hold.id, reason="job failed")
        self.assertEqual(self.client.get_budget(account, "ben-daily").left, Decimal(5))
        self.client.create_spend(account, amount=3, member="ben")
        self.client.refund(spend.id, "bad output")
        read = self.client.get_budget(account, "ben-daily")
        self.assertEqual((read.used, read.used_micro, read.left), (Decimal(3), 3_000_000, Decimal(7)))
        # Another member's spend is not bound by ben's budget.
        self.client.create_spend(account, amount=50, member="olu", project="site")
        listed = self.client.list_budgets(account)
        self.assertIsInstance(listed.as_of, datetime.datetime)
        self.assertEqual([(b.id, b.used) for b in listed.budgets], [("ben-daily", Decimal(3))])
        self.assertEqual(self.client.list_budgets(account, member="olu").budgets, [])
        self.assertEqual([b.id for b in self.client.list_budgets(account, member="ben", project="site").budgets], ["ben-daily"])

        # A soft budget lets the debit through and marks the crossing; usage so far stays.
        soft = self.client.update_budget(account, "ben-daily", limit=4, mode="soft")
        self.assertEqual((soft.limit, soft.mode, soft.used, soft.left), (Decimal(4), "soft", Decimal(3), Decimal(1)))
        self.client.create_spend(account, amount=2, member="ben")
        crossed = self.client.get_budget(account, "ben-daily")
        self.assertEqual((crossed.used, crossed.left, crossed.exceeded), (Decimal(5), Decimal(0), True))
        removed = self.client.remove_budget(account, "ben-daily")
        self.assertEqual((removed.id, removed.used), ("ben-daily", Decimal(5)))
        with self.assertRaises(tc.NotFound):
            self.client.get_budget(account, "ben-daily")

    def test_who_may_spend(self):
        account, _ = self.new_team()
        self.client.add_member(account, "vi", role="viewer")
        with self.assertRaises(tc.NotAMember) as stranger:
            self.client.create_spend(account, amount=1, member="zed")
        self.assertIsInstance(stranger.exception, tc.Forbidden)
        self.assertEqual(stranger.exception.status, 403)
        with self.assertRaises(tc.Forbidden) as viewer:
            self.client.create_hold(account, amount=1, member="vi")
        self.assertEqual(viewer.exception.type, "forbidden")
        with self.assertRaises(tc.InvalidRequest):
            self.client.create_spend(account, amount=1)  # a team account names the member
        personal = f"py-solo-{next(_ids)}"
        self.client.open_account(personal)
        with self.assertRaises(tc.InvalidRequest):
            self.client.create_spend(personal, amount=1, member="ben")
        with self.assertRaises(tc.InvalidRequest):
            self.client.open_account(f"py-team-{next(_ids)}", plan="pro", kind="team")  # no owner

    def test_a_members_token_reads_what_its_role_allows(self):
        account, _ = self.new_team()
        self.client.add_member(account, "ben")
        self.client.add_budget(account, "b-ben", "50", "P1M", member="ben")
        self.client.add_budget(account, "b-olu", "50", "P1M", member="olu")
        token = self.client.create_token(account, member="ben")
        self.assertEqual((token.account, token.member), (account, "ben"))
        ben = self.client.for_token(token.token)
        self.assertEqual(ben.get_account(account).kind, "team")
        self.assertEqual([m.user for m in ben.list_members(account).members], ["ben"])
        self.assertEqual([b.id for b in ben.list_budgets(account).budgets], ["b-ben"])
        with self.assertRaises(tc.Forbidden):
            ben.list_account_events(account)
        self.client.set_member_role(account, "ben", "admin")
        self.assertEqual([m.user for m in ben.list_members(account).members], ["olu", "ben"])
        self.client.remove_member(account, "ben")
        with self.assertRaises(tc.NotAMember):
            ben.get_account(account)
        with self.assertRaises(tc.NotAMember):
            self.client.create_token(account, member="zed")
        self.assertIsNone(self.client.create_token(account).member)

    def test_history_and_usage_by_member_and_project(self):
        account, _ = self.new_team()
        self.client.add_member(account, "ben")
        self.client.grant(account, "100", "team credit")
        spend = self.client.create_spend(account, amount="3", member="ben", project="site")
        self.assertEqual((spend.member, spend.project), ("ben", "site"))
        self.client.create_spend(account, amount="2", member="olu")
        mine = self.client.list_entries(account, member="ben").entries
        self.assertTrue(mine)
        self.assertTrue(all(e.member == "ben" and e.project == "site" for e in mine))
        usage = self.client.get_team_usage(account, from_="2000-01-01T00:00:00Z", to="2100-01-01T00:00:00Z")
        self.assertIsInstance(usage, tc.TeamUsage)
        self.assertEqual(usage.used, Decimal("5"))
        self.assertEqual([(u.member, u.used) for u in usage.by_member], [("ben", Decimal("3")), ("olu", Decimal("2"))])
        self.assertEqual([(p.project, p.used) for p in usage.by_project], [("site", Decimal("3"))])
        self.assertIsNotNone(usage.from_)
        # Reports (docs/reports.md): finance in JSON and CSV, and the account's forecast.
        finance = self.client.get_finance_report(from_="2000-01-01T00:00:00Z", to="2100-01-01T00:00:00Z", currency="USD")
        self.assertIsInstance(finance, tc.FinanceReport)
        self.assertEqual(finance.currency, "USD")
        self.assertIsInstance(finance.paid, tc.FinancePaid)
        csv = self.client.get_finance_report(from_="2000-01-01T00:00:00Z", to="2100-01-01T00:00:00Z", currency="USD", format="csv")
        self.assertTrue(csv.startswith("figure,source,credits,money,currency\n"), csv)
        top = self.client.get_top_accounts(from_="2000-01-01T00:00:00Z", to="2100-01-01T00:00:00Z", limit=100)
        self.assertIsInstance(top, tc.TopAccounts)
        self.assertIn(account, [u.account for u in top.accounts])
        forecast = self.client.get_forecast(account)
        self.assertIsInstance(forecast, tc.Forecast)
        self.assertEqual([r.window_days for r in forecast.rates], [7, 30])
        self.assertIn(forecast.advice.kind, ("stay", "buy_packs", "upgrade"))


if __name__ == "__main__":
    unittest.main()
