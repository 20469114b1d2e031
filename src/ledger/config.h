// Ledger configuration: consumption policy, source priorities, default validity per source
// (DESIGN rule 5), refund grace, hold TTLs, retention windows and bounds. All of it is
// configuration, not code: the catalog loader (issue 4) fills this from TOML.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ledger/time.h"
#include "ledger/types.h"

namespace tally {

// Rule 1 and its alternative.
enum class ConsumptionPolicy : uint8_t {
  expiry_first,    // earliest expiry, then source priority, then oldest grant, then lot id
  priority_first,  // source priority, then earliest expiry, then oldest grant, then lot id
};
std::string_view policy_name(ConsumptionPolicy p);
std::optional<ConsumptionPolicy> parse_policy(std::string_view name);

// How long a lot stays valid from the moment it becomes effective.
struct Validity {
  enum class Kind : uint8_t { never, months, duration };
  Kind kind = Kind::never;
  int64_t count = 0;  // months, or microseconds for `duration`

  static constexpr Validity never() { return {Kind::never, 0}; }
  static constexpr Validity months(int64_t n) { return {Kind::months, n}; }
  static constexpr Validity duration_us(int64_t us) { return {Kind::duration, us}; }
  // The expiry of a lot effective at `from`; saturates at never().
  TimeUs expiry_from(TimeUs from) const;
  friend bool operator==(const Validity&, const Validity&) = default;
};

// "never", or an ISO 8601 duration. Years and months ("P1Y", "P6M", "P1Y6M") are calendar
// months; weeks, days, hours, minutes and seconds ("P7D", "PT15M", "P1DT12H", "PT0.5S") are a
// fixed duration. Mixing the two kinds is refused: a month has no fixed length. Zero is refused.
std::optional<Validity> parse_validity(std::string_view text);
// The inverse: "never", "P12M", "PT900S".
std::string format_validity(const Validity& v);

struct LedgerConfig {
  ConsumptionPolicy policy = ConsumptionPolicy::expiry_first;
  // Lower consumes first. Default: reward, promo, admin, refund, signup, rollover,
  // subscription, purchase (DESIGN rule 1). Indexed by Source.
  std::array<uint8_t, k_source_count> source_priority = default_source_priority();

  // Used when a grant names no expiry (rule 5). Indexed by Source.
  std::array<Validity, k_source_count> default_validity = default_validities();

  int64_t refund_grace_us = 7 * k_us_per_day;  // life of a refund lot (rule 3)
  int64_t hold_ttl_default_us = 15 * k_us_per_minute;
  int64_t hold_ttl_max_us = 24 * k_us_per_hour;
  // How long a finished spend (and a finished hold) stays refundable and queryable.
  int64_t spend_retention_us = 90 * k_us_per_day;
  // How long a purchase stays voidable (charge-backs) and its payment reference known.
  int64_t purchase_retention_us = 400 * k_us_per_day;
  // How long an idempotency key is remembered (its retry gets the first reply, rule 8).
  int64_t idempotency_retention_us = 7 * k_us_per_day;
  // With a store (track_changes): how long idempotency records, spends and finished holds stay
  // in memory before only the store holds them (issue 14: memory bounded by accounts, not by
  // traffic). The store lends them back for a retry, a refund or a capture after that, so what a
  // client sees does not depend on it. Without a store they stay for their retention.
  int64_t memory_window_us = k_us_per_minute;
  // How long a store keeps events (GET /v1/events, webhooks): the ledger does not keep them.
  int64_t event_retention_us = 30 * k_us_per_day;
  // Auto top-up: how long a request waits for its purchase before it times out (and counts as
  // failed), and the first wait after a failure (doubling per failure in a row, at most a day,
  // or this when longer).
  int64_t auto_topup_timeout_us = k_us_per_hour;
  int64_t auto_topup_backoff_us = k_us_per_hour;

  // Record what each command changes, for take_delta() (the durable service turns on).
  bool track_changes = false;

  // Bounds on what a client controls; past them a command is refused with limit_exceeded or
  // invalid_request.
  uint32_t lots_per_account_max = 256;
  uint32_t holds_per_account_max = 256;  // open holds
  uint32_t scope_tools_max = 32;
  uint32_t account_id_length_max = 128;
  uint32_t tool_length_max = 64;
  uint32_t reason_length_max = 1024;
  uint32_t reference_length_max = 256;
  uint32_t idempotency_key_length_max = 256;
  uint32_t version_length_max = 64;
  Credits amount_max = Credits::from_micro(1'000'000'000 * k_micro_per_credit);  // per command
  // An account's credits (remaining + held) after a grant, purchase or reward; past it the
  // command is refused with limit_exceeded, so no sum of an account can overflow.
  Credits account_total_max = Credits::from_micro(1'000'000'000'000 * k_micro_per_credit);

  static std::array<uint8_t, k_source_count> default_source_priority();
  static std::array<Validity, k_source_count> default_validities();
};

}  // namespace tally
