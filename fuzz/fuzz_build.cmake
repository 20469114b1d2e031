# The fuzz targets' own build, included by the top-level CMakeLists.txt when TALLY_FUZZ_BUILD
# is ON: fuzz/CMakeLists.txt configures this source tree a second time, with clang++-16, into
# <build>/fuzz/build. Only the libraries the targets link are built (src/ledger, src/log,
# src/catalog, src/pricing, src/config, src/lint, and the server's JSON decoder), at -O1 -g with ASan, UBSan and
# libFuzzer's coverage instrumentation.
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "TALLY_FUZZ_BUILD needs clang (libFuzzer); got ${CMAKE_CXX_COMPILER_ID}")
endif()

# libstdc++ 12 declares std::expected only when __cpp_concepts >= 202002L; clang 16 implements
# what <expected> needs but still reports 201907L, so the macro is raised by hand (hence the
# two -Wno-…-redefined: the redefinition is the point, not a mistake).
add_compile_options(-Wno-builtin-macro-redefined -Wno-macro-redefined -D__cpp_concepts=202002L
                    -O1 -g -fno-omit-frame-pointer
                    -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all)
add_link_options(-fsanitize=address,undefined)

# The folders below define their tests with tally_test; here those are declared but never
# built (EXCLUDE_FROM_ALL, no GoogleTest discovery), so the folders' CMakeLists stay as they are.
function(tally_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS;ENV" ${ARGN})
  add_executable(${name} EXCLUDE_FROM_ALL ${T_SOURCES})
endfunction()

add_subdirectory(src/ledger)
add_subdirectory(src/log)
add_subdirectory(src/catalog)
add_subdirectory(src/pricing)
add_subdirectory(src/config)
add_subdirectory(src/lint)
add_subdirectory(fuzz)
