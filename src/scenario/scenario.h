// Scenario files: plain text, one command per line, with the expected results after them
// (docs/design.md §8). They drive the ledger as the service will, print a transcript a person can
// read (every reply and every entry with its balance after), and check expectations. The test
// run executes tests/scenarios/*.scenario; `tally scenario FILE` runs one and prints it.
// The format is documented in docs/scenarios.md.
//
// Not thread-safe; each run builds its own ledger.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tally::scenario {

struct Outcome {
  std::string transcript;
  std::vector<std::string> failures;  // "file:line: what was expected, what happened"
  bool ok() const { return failures.empty(); }
};

// Runs scenario text; `file` names it in messages and anchors relative `config` paths.
// Without a `config` line the ledger runs on the built-in defaults with no plans or packs.
Outcome run(std::string_view text, const std::string& file);
// Reads and runs a scenario file.
Outcome run_file(const std::string& path);

}  // namespace tally::scenario
