#include "server/web.h"

#include <gtest/gtest.h>

#include <string>

namespace tally::server {
namespace {

std::string header(const HttpResponse& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return {};
}

TEST(WebTest, ServesThePageAtTheRootWithACspThatAllowsOnlyThisOrigin) {
  auto r = static_asset("GET", "/");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->content_type, "text/html; charset=utf-8");
  EXPECT_NE(r->body.find("<html lang=\"en\">"), std::string::npos);
  EXPECT_EQ(header(*r, "Content-Security-Policy").rfind("default-src 'self'", 0), 0u);
  EXPECT_EQ(header(*r, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(header(*r, "Cache-Control"), "no-cache");
  EXPECT_EQ(static_asset("GET", "/index.html")->body, r->body);
}

TEST(WebTest, ThePageNamesEveryOtherFileByItsVersionAndThoseAreImmutable) {
  const std::string page = static_asset("GET", "/")->body;
  for (const WebAsset& a : web_assets()) {
    if (a.path == "/index.html") continue;
    const std::string url = std::string(a.path) + "?v=" + std::string(a.version);
    EXPECT_NE(page.find("\"" + url + "\""), std::string::npos) << url;
    auto r = static_asset("GET", url);
    ASSERT_TRUE(r) << url;
    EXPECT_EQ(r->body, a.body);
    EXPECT_EQ(r->content_type, a.content_type);
    EXPECT_EQ(header(*r, "Cache-Control"), "public, max-age=31536000, immutable");
  }
  EXPECT_EQ(page.find("@APP_JS_VERSION@"), std::string::npos);
  EXPECT_EQ(header(*static_asset("GET", "/app.js"), "Cache-Control"), "no-cache");
}

TEST(WebTest, LeavesEveryOtherPathAndMethodToTheApi) {
  EXPECT_FALSE(static_asset("GET", "/v1/pricing"));
  EXPECT_FALSE(static_asset("GET", "/healthz"));
  EXPECT_FALSE(static_asset("GET", "/app.js/x"));
  EXPECT_FALSE(static_asset("GET", "/../app.js"));
  EXPECT_FALSE(static_asset("POST", "/"));
  EXPECT_FALSE(static_asset("DELETE", "/app.js"));
}

TEST(WebTest, ThePageHasNoInlineCodeAndNamesNoOtherOrigin) {
  // The CSP would block them in the browser; this says so at build time.
  const std::string page = static_asset("GET", "/")->body;
  EXPECT_EQ(page.find("<script>"), std::string::npos);
  EXPECT_EQ(page.find("<style"), std::string::npos);
  EXPECT_EQ(page.find("style="), std::string::npos);
  for (const char* handler : {"onclick=", "onload=", "onsubmit=", "onchange=", "oninput="}) {
    EXPECT_EQ(page.find(handler), std::string::npos) << handler;
  }
  for (const WebAsset& a : web_assets()) {
    std::string body(a.body);
    for (size_t at = body.find("http://www.w3.org/2000/svg"); at != std::string::npos;
         at = body.find("http://www.w3.org/2000/svg")) {
      body.erase(at, 26);  // the SVG namespace is a name, not a fetch
    }
    EXPECT_EQ(body.find("http://"), std::string::npos) << a.path;
    EXPECT_EQ(body.find("https://"), std::string::npos) << a.path;
  }
}

}  // namespace
}  // namespace tally::server
