"""The client is complete against docs/openapi.yaml (issue 20, "kept true to the server").

Fails when the OpenAPI file has an operation (method and path), a request field, a query
parameter, a reply field or a problem type the client lacks. No server needed.
"""

from __future__ import annotations

import copy
import datetime
import os
import re
import unittest
from decimal import Decimal

import openapi_check as check
from tally_client import AsyncTallyClient, BatchRequest, TallyClient
from tally_client._http import Call
from tally_client._operations import operations_of

SPEC_PATH = os.environ.get("TALLY_OPENAPI") or os.path.join(os.path.dirname(__file__), "..", "..", "..", "docs", "openapi.yaml")

T = datetime.datetime(2026, 11, 21, 8, 0, tzinfo=datetime.timezone.utc)

# One call of every operation, for the test that each method sends what it claims.
SAMPLE_CALLS = {
    "openAccount": lambda c: c.open_account("ana", plan="free"),
    "listAccounts": lambda c: c.list_accounts(prefix="a", plan="pro", cursor="ana", limit=10),
    "getAccount": lambda c: c.get_account("ana"),
    "listEntries": lambda c: c.list_entries("ana", limit=10, after=5),
    "getBalance": lambda c: c.get_balance("ana", as_of=T),
    "grantCredits": lambda c: c.grant("ana", Decimal("12.5"), "welcome", valid_for=datetime.timedelta(days=30)),
    "subscribe": lambda c: c.subscribe("ana", "pro"),
    "cancelSubscription": lambda c: c.cancel_subscription("ana"),
    "markPastDue": lambda c: c.mark_past_due("ana"),
    "resumeSubscription": lambda c: c.resume_subscription("ana"),
    "claimDailyReward": lambda c: c.claim_daily_reward("ana"),
    "createToken": lambda c: c.create_token("ana", ttl_s=60),
    "revokeTokens": lambda c: c.revoke_tokens("ana", token_id="00000000000000ab"),
    "quote": lambda c: c.quote("video", {"seconds": 4}),
    "getPricing": lambda c: c.get_pricing(),
    "getPlans": lambda c: c.get_plans(),
    "getPacks": lambda c: c.get_packs(),
    "createHold": lambda c: c.create_hold("ana", tool="video", params={"seconds": 4}),
    "getHold": lambda c: c.get_hold("281474976710657"),
    "captureHold": lambda c: c.capture("281474976710657", usage={"seconds": 3}),
    "releaseHold": lambda c: c.release("281474976710657", reason="failed"),
    "createSpend": lambda c: c.create_spend("ana", amount=3),
    "getSpend": lambda c: c.get_spend("281474976710658"),
    "refundSpend": lambda c: c.refund("281474976710658", "bad output"),
    "markSpendOutcome": lambda c: c.mark_outcome("281474976710658", "usable"),
    "createPurchase": lambda c: c.create_purchase("ana", "starter", "USD", "pay-1"),
    "voidPurchase": lambda c: c.void_purchase("281474976710659", "charge-back"),
    "voidLot": lambda c: c.void_lot("281474976710660", "fraud"),
    "listEvents": lambda c: c.list_events(types=["balance.low", "credits.expiring"], limit=10, after="0.0"),
    "listAccountEvents": lambda c: c.list_account_events("ana", types="balance.low", after="5"),
    "getAlerts": lambda c: c.get_alerts("ana"),
    "setAlerts": lambda c: c.set_alerts("ana", low_balance=50, expiring_notice=datetime.timedelta(days=3)),
    "getAutoTopup": lambda c: c.get_auto_topup("ana"),
    "setAutoTopup": lambda c: c.set_auto_topup("ana", below=10, pack="starter", currency="USD", region="eu"),
    "disableAutoTopup": lambda c: c.disable_auto_topup("ana"),
    "failAutoTopup": lambda c: c.fail_auto_topup("281474976710661", reason="card declined"),
    "cancelAutoTopup": lambda c: c.cancel_auto_topup("281474976710661"),
    "addMember": lambda c: c.add_member("team", "ben", role="admin"),
    "listMembers": lambda c: c.list_members("team"),
    "setMemberRole": lambda c: c.set_member_role("team", "ben", "viewer"),
    "removeMember": lambda c: c.remove_member("team", "ben"),
    "addBudget": lambda c: c.add_budget("team", "ben-daily", Decimal("12.5"), "P1D", member="ben", project="site", anchor=T, mode="soft"),
    "listBudgets": lambda c: c.list_budgets("team", member="ben", project="site"),
    "getBudget": lambda c: c.get_budget("team", "ben-daily"),
    "getTeamUsage": lambda c: c.get_team_usage("team", from_=T, to=T),
    "getFinanceReport": lambda c: c.get_finance_report(from_=T, to=T, currency="USD"),
    "getTopAccounts": lambda c: c.get_top_accounts(from_=T, to=T, limit=5),
    "getForecast": lambda c: c.get_forecast("ana", currency="EUR"),
    "updateBudget": lambda c: c.update_budget("team", "ben-daily", limit=20, mode="hard"),
    "removeBudget": lambda c: c.remove_budget("team", "ben-daily"),
    "batch": lambda c: c.batch([BatchRequest("GET", "/v1/accounts/ana")]),
    "createKey": lambda c: c.create_key("worker", scope="worker", expires_at=T),
    "listKeys": lambda c: c.list_keys(),
    "listAudit": lambda c: c.list_audit(key="key_1", account="ana", from_=T, to=T, cursor="0.0.0", limit=10),
    "revokeKey": lambda c: c.revoke_key("key_1"),
    "rotateKey": lambda c: c.rotate_key("key_1", overlap_s=60),
    "createWebhook": lambda c: c.create_webhook("https://example.com/hook", event_types=["balance.low"], description="alerts"),
    "listWebhooks": lambda c: c.list_webhooks(),
    "getWebhook": lambda c: c.get_webhook("wh_0123456789abcdef"),
    "deleteWebhook": lambda c: c.delete_webhook("wh_0123456789abcdef"),
    "rotateWebhookSecret": lambda c: c.rotate_webhook_secret("wh_0123456789abcdef", overlap_s=60),
    "enableWebhook": lambda c: c.enable_webhook("wh_0123456789abcdef"),
    "listWebhookDeliveries": lambda c: c.list_webhook_deliveries("wh_0123456789abcdef", limit=10),
    "redeliverWebhookEvent": lambda c: c.redeliver_webhook_event("wh_0123456789abcdef", "281474976710657"),
    "listPlatformEvents": lambda c: c.list_platform_events(after="18446462598732840961", limit=10),
    "setClock": lambda c: c.set_clock(T),
    "reloadConfig": lambda c: c.reload_config(),
    "health": lambda c: c.health(),
    "metrics": lambda c: c.metrics(),
}

CHANGES = {"openAccount", "grantCredits", "subscribe", "cancelSubscription", "markPastDue", "resumeSubscription",
           "claimDailyReward", "createHold", "captureHold", "releaseHold", "createSpend", "refundSpend",
           "markSpendOutcome",
           "voidPurchase", "voidLot", "setAlerts",
           "setAutoTopup", "disableAutoTopup", "failAutoTopup", "cancelAutoTopup",
           "addMember", "setMemberRole", "removeMember", "addBudget", "updateBudget", "removeBudget"}


# A repeat would mint a second secret (createKey, rotateKey, createWebhook, rotateWebhookSecret)
# or answer 404 for what it deleted (revokeKey, deleteWebhook).
NEVER_RETRIED = {"createKey", "rotateKey", "revokeKey", "createWebhook", "rotateWebhookSecret", "deleteWebhook"}


class Recorder(TallyClient):
    def __init__(self):
        super().__init__("http://127.0.0.1:9")
        self.calls: list[Call] = []

    def _perform(self, call: Call):
        self.calls.append(call)
        return None


class OpenApiCoverageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.spec = check.load_spec(SPEC_PATH)

    def test_every_operation_has_a_method(self):
        self.assertEqual(check.check_operations(self.spec), [])

    def test_every_request_field_and_query_parameter_is_a_parameter(self):
        self.assertEqual(check.check_request_fields(self.spec), [])

    def test_every_reply_field_is_in_the_model(self):
        self.assertEqual(check.check_reply_fields(self.spec), [])

    def test_every_problem_type_has_an_exception(self):
        self.assertEqual(check.check_problems(self.spec), [])

    def test_the_checks_notice_what_is_missing(self):
        spec = copy.deepcopy(self.spec)
        spec["paths"]["/v1/widgets"] = {"delete": {"operationId": "deleteWidget", "responses": {"204": {"description": "gone"}}}}
        spec["components"]["schemas"]["Lot"]["properties"]["colour"] = {"type": "string"}
        spec["components"]["schemas"]["Quote"]["properties"]["breakdown"]["items"]["properties"]["weight"] = {"type": "integer"}
        hold_body = spec["paths"]["/v1/holds"]["post"]["requestBody"]["content"]["application/json"]["schema"]
        hold_body["oneOf"][0]["properties"]["priority"] = {"type": "string"}
        spec["paths"]["/v1/accounts/{id}/entries"]["get"]["parameters"].append({"name": "kind", "in": "query", "schema": {"type": "string"}})
        spec["components"]["schemas"]["Problem"]["properties"]["type"]["enum"].append("widget_jammed")
        spec["components"]["schemas"]["Problem"]["properties"]["budget"]["properties"]["period"] = {"type": "string"}
        spec["components"]["schemas"]["Entry"]["properties"]["seq"] = {"type": "string", "format": "date-time"}
        found = "\n".join(check.check_all(spec))
        for gap in ["deleteWidget", "no field in Lot", "breakdown[].weight", "'priority'", "'kind'",
                    "widget_jammed", "Problem.budget.period: no field in BudgetRefusal",
                    "entries[].seq: string date-time"]:
            self.assertIn(gap, found)

    def test_each_method_sends_its_operation(self):
        registered = operations_of(TallyClient)
        self.assertEqual(set(SAMPLE_CALLS), set(registered), "SAMPLE_CALLS must call every operation")
        for op_id, call_it in SAMPLE_CALLS.items():
            with self.subTest(op_id):
                client = Recorder()
                call_it(client)
                (call,) = client.calls
                _, op = registered[op_id]
                pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", op.path) + "$"
                self.assertEqual(call.method, op.method)
                self.assertRegex(call.path, pattern)
                self.assertEqual(call.retry, op_id not in NEVER_RETRIED, "retried automatically")
                if op_id in CHANGES:
                    self.assertRegex(call.idempotency_key or "", r"^[A-Za-z0-9._:@+~-]{1,256}$")
                else:
                    self.assertIsNone(call.idempotency_key)

    def test_async_client_has_every_method(self):
        for op_id, (name, _) in operations_of(TallyClient).items():
            self.assertTrue(callable(getattr(AsyncTallyClient, name, None)), name)
        self.assertEqual(set(operations_of(AsyncTallyClient)), set(operations_of(TallyClient)))


if __name__ == "__main__":
    unittest.main()
