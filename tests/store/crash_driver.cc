// The process the crash test kills: it runs the service on a data directory and sends, from
// several threads, a fixed sequence of commands per account (open, grant 100, hold 30,
// capture 12, spend 5, refund 2: 85 left), logging each account it starts and each request
// acknowledged, until it is killed with SIGKILL.
//
// Usage: crash_driver DATA_DIR LOG_FILE RUN
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "crash_workload.h"
#include "ledger/text.h"
#include "service/service.h"
#include "store/sqlite_store.h"

int main(int argc, char** argv) {
  using namespace tally;
  if (argc != 4) {
    std::fprintf(stderr, "usage: crash_driver DATA_DIR LOG_FILE RUN\n");
    return 2;
  }
  const int log = ::open(argv[2], O_WRONLY | O_CREAT | O_APPEND, 0600);
  auto store = store::SqliteStore::open({argv[1], /*synchronous_full=*/true});
  if (log < 0 || !store) return 1;
  service::ServiceOptions o;
  o.shards = 2;
  o.clock = crash::clock;
  auto service = service::Service::start(o, store->get());
  if (!service) {
    std::fprintf(stderr, "%s\n", service.error().c_str());
    return 1;
  }
  auto say = [log](const std::string& line) {  // one write(2) per line: no user-space buffer
    const std::string text = line + "\n";
    (void)!::write(log, text.data(), text.size());
  };
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&, c] {
      for (int i = 0;; ++i) {
        const std::string account = cat("r", argv[3], "-c", c, "-", i);
        say(cat("sent ", account));
        crash::run_account(**service, account, [&](const std::string& key) { say("ack " + key); });
      }
    });
  }
  for (auto& t : clients) t.join();  // never: the test kills the process
}
