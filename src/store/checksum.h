// Checksums of stored rows (docs/storage.md): CRC-32C (Castagnoli, the polynomial of LevelDB's
// log and iSCSI) over a row's fields, so that a row changed on disk is an error when it is read,
// never an answer.
//
// Pure and thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

namespace tally::store {

// The CRC-32C of `bytes`, continuing from `crc` (0 to start): crc32c(crc32c(0, a), b) is the CRC
// of a then b.
// Uses the CPU's CRC32 instruction where there is one (SSE 4.2).
uint32_t crc32c(uint32_t crc, std::string_view bytes);
// The same, a table byte by byte, on any CPU (for the test that both agree).
uint32_t crc32c_portable(uint32_t crc, std::string_view bytes);

// A row's checksum, fed its fields in column order: an integer as its 8 bytes little-endian, a
// text as its length (4 bytes little-endian) then its bytes, so two different field sequences
// never feed the same bytes.
class RowChecksum {
 public:
  RowChecksum& add(int64_t v);
  RowChecksum& add(std::string_view v);
  uint32_t value() const { return crc_; }

 private:
  uint32_t crc_ = 0;
};

}  // namespace tally::store
