// Text for people: one line per reply or error, one per entry (used by scenario transcripts
// and the CLI).
#pragma once

#include <string>

#include "ledger/command.h"
#include "ledger/entry.h"

namespace tally {

std::string describe(const Result& r);
std::string describe(const Entry& e);

}  // namespace tally
