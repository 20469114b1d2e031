// Test support: a self-signed certificate for 127.0.0.1 (OpenSSL API: an EC P-256 key, valid
// for a day, CA:TRUE so that it can be its own trust anchor), and its key, as PEM files in a
// new temporary directory. For HTTPS servers and receivers the tests start.
#pragma once

#include <string>

namespace tally::testing {

struct CertFiles {
  std::string dir, cert, key;
};

CertFiles make_certificate();

}  // namespace tally::testing
