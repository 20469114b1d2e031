#include "store/entry_row.h"

#include "store/checksum.h"

namespace tally::store {

uint32_t entry_checksum(ShardId shard, const Entry& e) {
  RowChecksum c;
  c.add(static_cast<int64_t>(shard));
  entry_columns_3(e, [&c](auto v) { c.add(v); });
  if (!e.member.empty() || !e.project.empty()) c.add(e.member).add(e.project);
  return c.value();
}

}  // namespace tally::store
