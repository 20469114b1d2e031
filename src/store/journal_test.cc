// The journal's promises (store/journal_file.h, issue 14): records come back as appended, in
// order, across segments and restarts; a torn last append is cut and never an error; any other
// damage stops the open with an error naming the file, the record and what to do; segments the
// projections hold are removed or archived; and a batch record decodes to what was encoded.
#include "store/journal_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "ledger/ledger.h"
#include "ledger/ledger_state.h"
#include "ledger/test_support.h"
#include "ledger/text.h"
#include "store/codec.h"

namespace tally::store {
namespace {

namespace fs = std::filesystem;
using testing::cr;

struct Opened {
  std::unique_ptr<JournalFile> journal;
  std::vector<std::pair<uint64_t, std::string>> records;  // what open() visited
  std::string error;
};

Opened open_journal(const std::string& dir, uint64_t after = 0, uint64_t segment_bytes = 1 << 20,
                    std::string archive = "") {
  Opened o;
  auto j = JournalFile::open({dir, 3, segment_bytes, false, std::move(archive)}, after,
                             [&](uint64_t no, std::string_view payload) {
                               o.records.emplace_back(no, std::string(payload));
                               return std::expected<void, std::string>{};
                             });
  if (j) {
    o.journal = std::move(*j);
  } else {
    o.error = j.error();
  }
  return o;
}

std::string payload_of(uint64_t no) { return cat("record ", no, std::string(no * 7 % 50, 'x')); }

// A journal of `n` records in `dir`, segments of `segment_bytes`.
std::string write_records(const char* name, uint64_t n, uint64_t segment_bytes = 1 << 20) {
  const std::string dir = testing::scratch_dir(name);
  Opened o = open_journal(dir, 0, segment_bytes);
  EXPECT_TRUE(o.error.empty()) << o.error;
  for (uint64_t i = 1; i <= n; ++i) EXPECT_TRUE(o.journal->append(payload_of(i)).has_value());
  return dir;
}

std::vector<std::string> segments(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& f : fs::directory_iterator(cat(dir, "/journal-3"))) out.push_back(f.path());
  std::sort(out.begin(), out.end());
  return out;
}

void expect_records(const Opened& o, uint64_t from, uint64_t to) {
  ASSERT_TRUE(o.error.empty()) << o.error;
  ASSERT_EQ(o.records.size(), to + 1 - from);
  for (uint64_t i = from; i <= to; ++i) {
    EXPECT_EQ(o.records[i - from].first, i);
    EXPECT_EQ(o.records[i - from].second, payload_of(i));
  }
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

TEST(Journal, RecordsComeBackInOrderAfterTheGivenOneAcrossSegmentsAndRestarts) {
  const std::string dir = write_records("journal-order", 40, 256);
  ASSERT_GT(segments(dir).size(), 3u);
  expect_records(open_journal(dir), 1, 40);
  expect_records(open_journal(dir, 25), 26, 40);
  Opened o = open_journal(dir, 40, 256);
  expect_records(o, 41, 40);
  EXPECT_EQ(o.journal->last(), 40u);
  ASSERT_TRUE(o.journal->append(payload_of(41)).has_value());
  o.journal.reset();
  expect_records(open_journal(dir), 1, 41);
}

TEST(Journal, ATornLastAppendIsCutAndTheNextAppendTakesItsNumber) {
  const std::string dir = write_records("journal-torn", 10);
  const std::string last = segments(dir).back();
  const std::string whole = read_bytes(last);
  const size_t record_10 = JournalFile::k_record_header_bytes + payload_of(10).size();
  // Every way an append can be cut: inside the header, inside the payload, the payload's end
  // never written (zeros), the file grown with zeros only.
  std::vector<std::string> torn = {
      whole.substr(0, whole.size() - record_10 + 5), whole.substr(0, whole.size() - 3),
      whole.substr(0, whole.size() - 4) + std::string(4, '\0'),
      whole.substr(0, whole.size() - record_10) + std::string(record_10, '\0')};
  for (size_t i = 0; i < torn.size(); ++i) {
    SCOPED_TRACE(i);
    write_bytes(last, torn[i]);
    Opened o = open_journal(dir);
    expect_records(o, 1, 9);
    EXPECT_EQ(o.journal->last(), 9u);
    EXPECT_EQ(fs::file_size(last), whole.size() - record_10);  // cut, durably
    ASSERT_TRUE(o.journal->append(payload_of(10)).has_value());
    o.journal.reset();
    EXPECT_EQ(read_bytes(last), whole);
  }
}

TEST(Journal, DamageBeforeTheTailIsAnErrorNamingTheFileTheRecordAndWhatToDo) {
  const std::string dir = write_records("journal-damage", 30, 300);
  const std::vector<std::string> files = segments(dir);
  ASSERT_GE(files.size(), 3u);
  const std::string first = read_bytes(files[0]);
  const size_t header = JournalFile::k_segment_header_bytes;
  const size_t record_1 = JournalFile::k_record_header_bytes + payload_of(1).size();
  struct Case {
    const char* what;
    std::string file;
    size_t offset;  // the byte flipped
    std::string expected;
  };
  const std::string last = read_bytes(files.back());
  const Case cases[] = {
      {"payload of record 1", files[0], header + JournalFile::k_record_header_bytes + 2,
       cat(files[0], ": record 1 at offset ", header, " fails its checksum")},
      {"length of record 2", files[0], header + record_1,
       cat(files[0], ": record 2 at offset ", header + record_1, " has a damaged header")},
      {"segment header", files[1], 9, cat(files[1], ": the segment header is not")},
      // In the last segment too, when records follow the damaged one.
      {"payload in the last segment", files.back(),
       header + JournalFile::k_record_header_bytes + 1, "fails its checksum"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    std::string bytes = read_bytes(c.file);
    const std::string saved = bytes;
    bytes[c.offset] = static_cast<char>(bytes[c.offset] ^ 0x10);
    write_bytes(c.file, bytes);
    Opened o = open_journal(dir);
    EXPECT_FALSE(o.journal);
    EXPECT_NE(o.error.find(c.expected), std::string::npos) << o.error;
    EXPECT_NE(o.error.find("restore the data directory from a backup"), std::string::npos);
    write_bytes(c.file, saved);
    expect_records(open_journal(dir), 1, 30);
  }
  // A segment missing from the middle.
  fs::rename(files[1], files[1] + ".moved");
  Opened o = open_journal(dir);
  EXPECT_NE(o.error.find("a segment is missing"), std::string::npos) << o.error;
  fs::rename(files[1] + ".moved", files[1]);
  // Records the projections need that are gone: the journal starts after them.
  fs::rename(files[0], files[0] + ".moved");
  o = open_journal(dir, 0);
  EXPECT_NE(o.error.find("the records between are missing"), std::string::npos) << o.error;
  fs::rename(files[0] + ".moved", files[0]);
  EXPECT_TRUE(first == read_bytes(files[0]));
}

TEST(Journal, ASegmentWhoseHeaderWasTornIsRemovedAndStartedAgain) {
  const std::string dir = write_records("journal-new-segment", 5);
  char name[40];
  std::snprintf(name, sizeof name, "/journal-3/%020d.log", 6);
  write_bytes(dir + name, std::string("TALLYJ", 6));  // a crash while the header was written
  Opened o = open_journal(dir);
  expect_records(o, 1, 5);
  EXPECT_FALSE(fs::exists(dir + name));
  ASSERT_TRUE(o.journal->append(payload_of(6)).has_value());
}

TEST(Journal, SegmentsTheProjectionsHoldAreRemovedOrArchivedButNeverTheLast) {
  const std::string dir = write_records("journal-remove", 30, 300);
  const std::string archive = testing::scratch_dir("journal-archive");
  Opened o = open_journal(dir, 0, 300, archive);
  ASSERT_TRUE(o.error.empty()) << o.error;
  const size_t before = o.journal->segment_count();
  ASSERT_GE(before, 3u);
  // The second segment's first record: the first segment goes, the second (which holds more
  // records) stays.
  const uint64_t second = std::stoull(fs::path(o.journal->segment_paths()[1]).filename().string());
  EXPECT_EQ(o.journal->remove_through(second).value_or(99), 1u);
  EXPECT_EQ(o.journal->segment_count(), before - 1);
  EXPECT_TRUE(fs::directory_iterator(cat(archive, "/journal-3")) != fs::directory_iterator());
  EXPECT_EQ(o.journal->remove_through(1000).value_or(99), before - 2);
  EXPECT_EQ(o.journal->segment_count(), 1u);  // the one appended to stays
  ASSERT_TRUE(o.journal->append(payload_of(31)).has_value());
  o.journal.reset();
  // The records the projections do not hold are all still there.
  Opened again = open_journal(dir, 30);
  expect_records(again, 31, 31);
  // A journal with only what follows the projections opens; one asked for older records does not.
  EXPECT_NE(open_journal(dir, 0).error.find("the records between are missing"), std::string::npos);
  // No journal at all beside tables that hold records: refused, never started empty.
  fs::remove_all(cat(dir, "/journal-3"));
  EXPECT_NE(open_journal(dir, 31).error.find("no journal segment"), std::string::npos);
  EXPECT_TRUE(open_journal(dir, 0).error.empty());  // a new shard
}

// A batch record holds what the store writes: decoding it and applying its delta to the state
// before it gives the state after it, and its entries are the batch's.
TEST(BatchRecord, DecodesToTheEntriesAndDeltaThatWereEncoded) {
  LedgerConfig config;
  config.track_changes = true;
  Ledger ledger(config, testing::test_catalog());
  LedgerState state = ledger.export_state();
  const TimeUs now = testing::at("2026-11-02T00:00:00Z");
  const Command commands[] = {OpenAccount{"a", "", true},
                              Grant{.account = "a", .amount = cr("10"), .reason = "welcome"},
                              SpendNow{"a", cr("3"), "image", "v1"},
                              PlaceHold{.account = "a", .amount = cr("2.5"), .tool = "image"},
                              Capture{.hold = HoldId{}, .amount = cr("1")}};
  std::string encoded;
  int key = 0;
  for (Command c : commands) {
    if (auto* capture = std::get_if<Capture>(&c)) {
      capture->hold = ledger.export_state().holds.back().id;
    }
    std::vector<Entry> entries;
    ASSERT_TRUE(ledger.apply({cat("k", key++), c}, now, &entries).has_value());
    StateDelta delta;
    ledger.take_delta(&delta);
    encode_batch(entries, delta, &encoded);
    auto decoded = decode_batch(encoded);
    ASSERT_TRUE(decoded.has_value()) << decoded.error();
    EXPECT_EQ(decoded->entries, entries);
    apply_delta(&state, decoded->delta);
    EXPECT_EQ(dump_state(state), dump_state(ledger.export_state()));
    // Every cut of the record is an error, never a shorter batch.
    for (size_t cut = 0; cut < encoded.size(); cut += 1 + encoded.size() / 97) {
      EXPECT_FALSE(decode_batch(std::string_view(encoded).substr(0, cut)).has_value()) << cut;
    }
  }
}

// A batch that opens account "a", grants it 10 and makes `spend`: its entries and delta.
void one_spend(const SpendNow& spend, std::vector<Entry>* entries, StateDelta* delta) {
  LedgerConfig config;
  config.track_changes = true;
  Ledger ledger(config, testing::test_catalog());
  const TimeUs now = testing::at("2026-11-02T00:00:00Z");
  ASSERT_TRUE(ledger.apply({"k0", OpenAccount{"a", "", true}}, now, entries).has_value());
  ASSERT_TRUE(
      ledger.apply({"k1", Grant{.account = "a", .amount = cr("10")}}, now, entries).has_value());
  ASSERT_TRUE(ledger.apply({"k2", spend}, now, entries).has_value());
  ledger.take_delta(delta);
}

// A record an older Tally wrote (version 4: entries without member and project) still decodes,
// to entries that name neither; a version-5 record keeps a team entry's member and project.
TEST(BatchRecord, AnOlderRecordStillDecodesAndTheNewOneKeepsMemberAndProject) {
  std::vector<Entry> entries;
  StateDelta delta;
  one_spend(SpendNow{"a", cr("3"), "image", "v1"}, &entries, &delta);
  std::string old_record;
  encode_batch(entries, delta, &old_record, 4);
  ASSERT_EQ(old_record[0], '\x04');
  auto old = decode_batch(old_record);
  ASSERT_TRUE(old.has_value()) << old.error();
  EXPECT_EQ(old->entries, entries);
  std::vector<Entry> team = entries;
  team.back().member = "ana";
  team.back().project = "launch";
  std::string record;
  encode_batch(team, delta, &record);
  EXPECT_NE(record, old_record);
  auto decoded = decode_batch(record);
  ASSERT_TRUE(decoded.has_value()) << decoded.error();
  EXPECT_EQ(decoded->entries, team);
}

// Version 7 keeps each change's audit line (who made it, with which key) in the record of the
// batch that made it; a version-6 record, written before audit lines, still decodes, with none.
TEST(BatchRecord, AVersion7RecordKeepsItsAuditLinesAndAVersion6OneDecodesWithNone) {
  LedgerConfig config;
  config.track_changes = true;
  Ledger ledger(config, testing::test_catalog());
  const TimeUs now = testing::at("2026-11-02T00:00:00Z");
  std::vector<Entry> entries;
  const Credential svc{CredentialKind::key, "key_7", ""};
  const Credential ana{CredentialKind::token, "tok_1", "ana"};
  ASSERT_TRUE(ledger.apply({"k0", OpenAccount{"a", "", true}, svc}, now, &entries).has_value());
  ASSERT_TRUE(ledger.apply({"k1", Grant{.account = "a", .amount = cr("10")}, svc}, now, &entries)
                  .has_value());
  ASSERT_TRUE(ledger
                  .apply({"k2", PlaceHold{.account = "a", .amount = cr("2"), .tool = "image"}, ana},
                         now, &entries)
                  .has_value());
  const HoldId hold = ledger.export_state().holds.back().id;
  ASSERT_TRUE(ledger.apply({"k3", Capture{.hold = hold, .amount = cr("1")}, ana}, now, &entries)
                  .has_value());
  // A refusal changes nothing and has no line.
  ASSERT_FALSE(ledger.apply({"k4", SpendNow{"a", cr("100"), "image", "v1"}, svc}, now, &entries)
                   .has_value());
  StateDelta delta;
  ledger.take_delta(&delta);
  ASSERT_EQ(delta.audit.size(), 4u);
  EXPECT_EQ(delta.audit_seq, 4u);
  EXPECT_EQ(delta.audit[0], (AuditLine{1, now, svc, "k0", "a", "open_account"}));
  EXPECT_EQ(delta.audit[2], (AuditLine{3, now, ana, "k2", "a", "place_hold"}));
  // A capture names a hold: its line takes the account from the capture's entries.
  EXPECT_EQ(delta.audit[3], (AuditLine{4, now, ana, "k3", "a", "capture"}));
  std::string record;
  encode_batch(entries, delta, &record, 7);
  ASSERT_EQ(record[0], '\x07');
  auto decoded = decode_batch(record);
  ASSERT_TRUE(decoded.has_value()) << decoded.error();
  EXPECT_EQ(decoded->delta.audit, delta.audit);
  EXPECT_EQ(decoded->delta.audit_seq, 4u);
  std::string old_record;
  encode_batch(entries, delta, &old_record, 6);
  auto old = decode_batch(old_record);
  ASSERT_TRUE(old.has_value()) << old.error();
  EXPECT_TRUE(old->delta.audit.empty());
  EXPECT_EQ(old->entries, entries);
  // A credential kind past the last is a corrupt record, never a line.
  std::string bad = record;
  const size_t kind_at =
      bad.size() - delta.audit.back().action.size() - 4 - delta.audit.back().account.size() - 4 -
      delta.audit.back().idempotency_key.size() - 4 - delta.audit.back().by.member.size() - 4 -
      delta.audit.back().by.id.size() - 4 - 1;
  ASSERT_EQ(bad[kind_at], static_cast<char>(CredentialKind::token));
  bad[kind_at] = 9;
  EXPECT_FALSE(decode_batch(bad).has_value());
}

// Version 8 keeps a spend's outcome (issue 19); a version-7 record, written before outcomes,
// still decodes, its spends with none.
TEST(BatchRecord, AVersion8RecordKeepsASpendsOutcomeAndAVersion7OneDecodesWithNone) {
  SpendNow spend{"a", cr("3"), "image", "v1"};
  spend.outcome = Outcome::rejected;
  std::vector<Entry> entries;
  StateDelta delta;
  one_spend(spend, &entries, &delta);
  ASSERT_EQ(delta.spends_put.size(), 1u);
  std::string record;
  encode_batch(entries, delta, &record);
  ASSERT_EQ(record[0], '\x08');
  auto decoded = decode_batch(record);
  ASSERT_TRUE(decoded.has_value()) << decoded.error();
  ASSERT_EQ(decoded->delta.spends_put.size(), 1u);
  EXPECT_EQ(decoded->delta.spends_put[0].id, delta.spends_put[0].id);
  EXPECT_EQ(decoded->delta.spends_put[0].outcome, Outcome::rejected);
  std::string old_record;
  encode_batch(entries, delta, &old_record, 7);
  auto old = decode_batch(old_record);
  ASSERT_TRUE(old.has_value()) << old.error();
  ASSERT_EQ(old->delta.spends_put.size(), 1u);
  EXPECT_EQ(old->delta.spends_put[0].outcome, Outcome::none);
  EXPECT_EQ(old->entries, entries);
}

}  // namespace
}  // namespace tally::store
