// Keeps docs/openapi.yaml honest without a YAML library: a plain text scan of the file's
// fixed layout (two-space indentation, one key per line), checked against the API the
// issue fixed (issue 6's table) and the problem types of docs/api.md.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "server/api_internal.h"

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  for (std::string line; std::getline(ss, line);) out.push_back(line);
  return out;
}

size_t indent_of(const std::string& line) {
  size_t i = line.find_first_not_of(' ');
  return i == std::string::npos ? line.size() : i;
}

bool blank_or_comment(const std::string& line) {
  size_t i = line.find_first_not_of(' ');
  return i == std::string::npos || line[i] == '#';
}

// "  key:" at exactly `indent` spaces -> "key" (quotes stripped), else "".
std::string key_at(const std::string& line, size_t indent) {
  if (blank_or_comment(line) || indent_of(line) != indent) return "";
  size_t colon = line.find(':', indent);
  if (colon == std::string::npos) return "";
  std::string key = line.substr(indent, colon - indent);
  if (key.size() >= 2 && (key.front() == '\'' || key.front() == '"')) {
    key = key.substr(1, key.size() - 2);
  }
  return key;
}

// One operation: its method, path and the text of its block.
struct Operation {
  std::string method;
  std::string path;
  std::string block;
};

struct Spec {
  std::vector<std::string> lines;
  std::vector<Operation> operations;
  std::map<std::string, std::set<std::string>> components;  // section -> names
};

Spec load_spec() {
  Spec s;
  s.lines = lines_of(read_file(std::string(TALLY_SOURCE_DIR) + "/docs/openapi.yaml"));
  enum { other, paths, components } top = other;
  std::string path, section;
  Operation* op = nullptr;
  for (const std::string& line : s.lines) {
    EXPECT_EQ(line.find('\t'), std::string::npos) << "tab in: " << line;
    if (!blank_or_comment(line) && indent_of(line) == 0) {
      op = nullptr;
      top = line == "paths:" ? paths : line == "components:" ? components : other;
      continue;
    }
    if (top == paths) {
      if (std::string k = key_at(line, 2); !k.empty()) {
        path = k;
        op = nullptr;
      } else if (std::string m = key_at(line, 4); !m.empty()) {
        s.operations.push_back({m, path, ""});
        op = &s.operations.back();
      } else if (op != nullptr) {
        op->block += line + "\n";
      }
    } else if (top == components) {
      if (std::string k = key_at(line, 2); !k.empty()) {
        section = k;
      } else if (std::string n = key_at(line, 4); !n.empty()) {
        s.components[section].insert(n);
      }
    }
  }
  return s;
}

enum class Key { none, required, optional };

struct Expected {
  const char* method;
  const char* path;
  Key idempotency_key;
};

// The contract of issue 6 (and docs/api.md). Adding an endpoint: add it here and to the file.
const std::vector<Expected> k_expected = {
    {"post", "/v1/accounts", Key::required},
    {"get", "/v1/accounts", Key::none},
    {"get", "/v1/accounts/{id}", Key::none},
    {"get", "/v1/accounts/{id}/entries", Key::none},
    {"get", "/v1/accounts/{id}/balance", Key::none},
    {"get", "/v1/accounts/{id}/events", Key::none},
    {"get", "/v1/accounts/{id}/alerts", Key::none},
    {"put", "/v1/accounts/{id}/alerts", Key::required},
    {"get", "/v1/accounts/{id}/auto_topup", Key::none},
    {"put", "/v1/accounts/{id}/auto_topup", Key::required},
    {"delete", "/v1/accounts/{id}/auto_topup", Key::required},
    {"post", "/v1/accounts/{id}/members", Key::required},
    {"get", "/v1/accounts/{id}/members", Key::none},
    {"patch", "/v1/accounts/{id}/members/{user}", Key::required},
    {"delete", "/v1/accounts/{id}/members/{user}", Key::required},
    {"post", "/v1/accounts/{id}/budgets", Key::required},
    {"get", "/v1/accounts/{id}/budgets", Key::none},
    {"get", "/v1/accounts/{id}/budgets/{budget}", Key::none},
    {"patch", "/v1/accounts/{id}/budgets/{budget}", Key::required},
    {"delete", "/v1/accounts/{id}/budgets/{budget}", Key::required},
    {"post", "/v1/auto_topups/{id}/fail", Key::required},
    {"post", "/v1/auto_topups/{id}/cancel", Key::required},
    {"get", "/v1/events", Key::none},
    {"post", "/v1/accounts/{id}/grants", Key::required},
    {"put", "/v1/accounts/{id}/subscription", Key::required},
    {"delete", "/v1/accounts/{id}/subscription", Key::required},
    {"post", "/v1/accounts/{id}/subscription/past_due", Key::required},
    {"post", "/v1/accounts/{id}/subscription/resume", Key::required},
    {"post", "/v1/accounts/{id}/rewards/daily", Key::required},
    {"post", "/v1/accounts/{id}/tokens", Key::none},
    {"post", "/v1/quotes", Key::none},
    {"post", "/v1/holds", Key::required},
    {"get", "/v1/holds/{id}", Key::none},
    {"post", "/v1/holds/{id}/capture", Key::required},
    {"post", "/v1/holds/{id}/release", Key::required},
    {"post", "/v1/spends", Key::required},
    {"get", "/v1/spends/{id}", Key::none},
    {"post", "/v1/spends/{id}/refunds", Key::required},
    {"post", "/v1/spends/{id}/outcome", Key::required},
    {"post", "/v1/purchases", Key::optional},
    {"post", "/v1/purchases/{id}/void", Key::required},
    {"post", "/v1/lots/{id}/void", Key::required},
    {"get", "/v1/pricing", Key::none},
    {"get", "/v1/plans", Key::none},
    {"get", "/v1/packs", Key::none},
    {"post", "/v1/batch", Key::none},
    {"post", "/v1/keys", Key::none},
    {"get", "/v1/keys", Key::none},
    {"delete", "/v1/keys/{id}", Key::none},
    {"post", "/v1/keys/{id}/rotate", Key::none},
    {"post", "/v1/webhooks", Key::none},
    {"get", "/v1/webhooks", Key::none},
    {"get", "/v1/webhooks/{id}", Key::none},
    {"delete", "/v1/webhooks/{id}", Key::none},
    {"post", "/v1/webhooks/{id}/rotate_secret", Key::none},
    {"post", "/v1/webhooks/{id}/enable", Key::none},
    {"get", "/v1/webhooks/{id}/deliveries", Key::none},
    {"post", "/v1/webhooks/{id}/deliveries/{event_id}/redeliver", Key::none},
    {"get", "/v1/platform/events", Key::none},
    {"post", "/v1/accounts/{id}/tokens/revoke", Key::none},
    {"get", "/v1/accounts/{id}/usage", Key::none},
    {"get", "/v1/accounts/{id}/forecast", Key::none},
    {"get", "/v1/reports/finance", Key::none},
    {"get", "/v1/reports/top-accounts", Key::none},
    {"post", "/v1/admin/clock", Key::none},
    {"post", "/v1/admin/reload", Key::none},
    {"get", "/v1/audit", Key::none},
    {"get", "/healthz", Key::none},
    {"get", "/metrics", Key::none},
};

const Operation* find_op(const Spec& s, const std::string& method, const std::string& path) {
  for (const Operation& op : s.operations) {
    if (op.method == method && op.path == path) return &op;
  }
  return nullptr;
}

TEST(OpenApi, EveryEndpointOfTheContractIsDocumented) {
  Spec s = load_spec();
  for (const Expected& e : k_expected) {
    const Operation* op = find_op(s, e.method, e.path);
    EXPECT_NE(op, nullptr) << e.method << " " << e.path << " is missing from openapi.yaml";
  }
}

TEST(OpenApi, DocumentsNoEndpointOutsideTheContract) {
  Spec s = load_spec();
  ASSERT_FALSE(s.operations.empty());
  for (const Operation& op : s.operations) {
    bool known = false;
    for (const Expected& e : k_expected) known |= op.method == e.method && op.path == e.path;
    EXPECT_TRUE(known) << op.method << " " << op.path << " is not in this test's list";
  }
}

// The server's route table (src/server/api.cc) is the contract: the same methods and paths,
// and a route that changes the ledger is one that documents a required Idempotency-Key.
TEST(OpenApi, TheServerRoutesAreExactlyTheDocumentedOnes) {
  Spec s = load_spec();
  std::set<std::string> documented, served;
  auto normal = [](std::string path) {  // "{id}" and "{}" alike
    std::string out;
    for (size_t i = 0; i < path.size(); ++i) {
      if (path[i] == '{') {
        out += "{}";
        i = path.find('}', i);
      } else {
        out += path[i];
      }
    }
    return out;
  };
  auto upper = [](std::string m) {
    for (char& c : m) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return m;
  };
  for (const Operation& op : s.operations) documented.insert(upper(op.method) + " " + normal(op.path));
  for (const tally::server::Route& r : tally::server::routes()) {
    served.insert(std::string(r.method) + " " + r.pattern);
    const Operation* op = nullptr;
    for (const Operation& o : s.operations) {
      if (upper(o.method) == r.method && normal(o.path) == r.pattern) op = &o;
    }
    if (op == nullptr) continue;
    const bool required = op->block.find("parameters/IdempotencyKey'") != std::string::npos;
    if (std::string_view(r.pattern) != "/v1/purchases") {
      EXPECT_EQ(required, r.changes) << r.method << " " << r.pattern;
    }
  }
  EXPECT_EQ(served, documented);
}

TEST(OpenApi, ChangesCarryAnIdempotencyKey) {
  Spec s = load_spec();
  for (const Expected& e : k_expected) {
    const Operation* op = find_op(s, e.method, e.path);
    if (op == nullptr) continue;
    const bool required = op->block.find("parameters/IdempotencyKey'") != std::string::npos;
    const bool optional = op->block.find("parameters/IdempotencyKeyOptional'") != std::string::npos;
    EXPECT_EQ(required, e.idempotency_key == Key::required) << e.method << " " << e.path;
    EXPECT_EQ(optional, e.idempotency_key == Key::optional) << e.method << " " << e.path;
  }
}

TEST(OpenApi, EveryOperationHasAnIdAndASuccessResponse) {
  Spec s = load_spec();
  std::set<std::string> ids;
  for (const Operation& op : s.operations) {
    size_t at = op.block.find("      operationId: ");
    ASSERT_NE(at, std::string::npos) << op.method << " " << op.path;
    std::string id = op.block.substr(at + 19, op.block.find('\n', at) - at - 19);
    EXPECT_TRUE(ids.insert(id).second) << "duplicate operationId " << id;
    EXPECT_NE(op.block.find("      responses:\n        '2"), std::string::npos)
        << op.method << " " << op.path << " has no 2xx response first";
  }
}

TEST(OpenApi, EveryReferenceResolves) {
  Spec s = load_spec();
  const std::string marker = "$ref: '#/components/";
  int refs = 0;
  for (const std::string& line : s.lines) {
    size_t at = line.find(marker);
    if (at == std::string::npos) continue;
    ++refs;
    std::string target = line.substr(at + marker.size());
    target = target.substr(0, target.find('\''));
    size_t slash = target.find('/');
    ASSERT_NE(slash, std::string::npos) << line;
    const std::string section = target.substr(0, slash), name = target.substr(slash + 1);
    EXPECT_TRUE(s.components[section].contains(name)) << "unresolved " << line;
  }
  EXPECT_GT(refs, 100);
}

// The problem types of docs/api.md's table: each is a value of Problem.type and is named by
// at least one response's x-problem-types, and no response names a type api.md lacks.
TEST(OpenApi, ProblemTypesMatchApiDoc) {
  std::set<std::string> doc_types;
  bool in_table = false;
  for (const std::string& line :
       lines_of(read_file(std::string(TALLY_SOURCE_DIR) + "/docs/api.md"))) {
    if (line.starts_with("## ")) in_table = line == "## Problem types";
    if (!in_table || !line.starts_with("| `")) continue;
    const std::string first = line.substr(0, line.find(" |", 2));
    for (size_t a = first.find('`'); a != std::string::npos; a = first.find('`', a)) {
      size_t b = first.find('`', a + 1);
      doc_types.insert(first.substr(a + 1, b - a - 1));
      a = b + 1;
    }
  }
  ASSERT_GE(doc_types.size(), 20u);

  Spec s = load_spec();
  std::set<std::string> named;  // every type in an x-problem-types flow list (may wrap)
  std::string problem_schema;   // the text of components/schemas/Problem
  bool in_list = false, in_problem = false;
  for (const std::string& line : s.lines) {
    if (indent_of(line) == 4 && !blank_or_comment(line)) in_problem = line == "    Problem:";
    if (in_problem) problem_schema += line + "\n";
    size_t from = 0;
    if (size_t at = line.find("x-problem-types: ["); at != std::string::npos) {
      in_list = true;
      from = at + 18;
    }
    if (!in_list) continue;
    const size_t end = line.find(']', from);
    in_list = end == std::string::npos;
    std::stringstream ss(line.substr(from, end == std::string::npos ? end : end - from));
    for (std::string t; std::getline(ss, t, ',');) {
      t.erase(0, t.find_first_not_of(' '));
      t.erase(t.find_last_not_of(' ') + 1);
      if (!t.empty()) named.insert(t);
    }
  }
  for (char& c : problem_schema) {
    if (c == '[' || c == ']' || c == ',' || c == '\n') c = ' ';
  }
  for (const std::string& t : doc_types) {
    EXPECT_NE(problem_schema.find(" " + t + " "), std::string::npos)
        << t << " is not a value of Problem.type";
  }
  for (const std::string& t : doc_types) {
    EXPECT_TRUE(named.contains(t)) << t << " (docs/api.md) is in no response of openapi.yaml";
  }
  for (const std::string& t : named) {
    EXPECT_TRUE(doc_types.contains(t)) << t << " (openapi.yaml) is not in docs/api.md";
  }
}

}  // namespace
