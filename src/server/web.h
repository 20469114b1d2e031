// The dashboard's static files (issue 8, docs/dashboard.md): web/index.html, web/app.js,
// web/app.css and web/favicon.svg, embedded in the binary at build time by
// src/server/embed_web.cmake, so `tally serve` needs no files beside it and no CDN.
//
// Thread-safe (read-only data); call from any I/O thread.
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "server/http_server.h"

namespace tally::server {

// One embedded file, generated into web_assets.cc.
struct WebAsset {
  std::string_view path;          // "/app.js"
  std::string_view content_type;  // "text/javascript; charset=utf-8"
  std::string_view body;
  std::string_view version;  // the first 16 hex digits of the body's SHA-256
};

// Every embedded file; the generated web_assets.cc defines it.
std::span<const WebAsset> web_assets();

// The answer to `GET target` (other methods: nullopt) when target names a dashboard file ("/",
// "/index.html",
// "/app.js", "/app.css", "/favicon.svg"; a query string is ignored), else nullopt and the
// caller routes the request as usual. No credential is needed: the page holds no data, it
// reads the API with the token or key the person gives it.
//
// Headers: a Content-Security-Policy that allows only this origin (no inline script or
// style), nosniff, no referrer. "/" is `Cache-Control: no-cache` and names the other files
// with `?v=<version>`, so those are cached as immutable and a new build is never mixed with
// an old one.
std::optional<HttpResponse> static_asset(std::string_view method, std::string_view target);

}  // namespace tally::server
