# Third-party libraries, all from Debian 12 packages (scripts/debian-packages.txt).
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBUV REQUIRED IMPORTED_TARGET libuv)
pkg_check_modules(YAML REQUIRED IMPORTED_TARGET yaml-0.1)
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka)
pkg_check_modules(CURL REQUIRED IMPORTED_TARGET libcurl)
pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)
pkg_check_modules(ZLIB REQUIRED IMPORTED_TARGET zlib)
pkg_check_modules(CRYPTO REQUIRED IMPORTED_TARGET libcrypto)
pkg_check_modules(CMOCKA REQUIRED IMPORTED_TARGET cmocka)
find_library(SNAPPY_LIB snappy REQUIRED)
find_library(HTTP_PARSER_LIB http_parser REQUIRED)  # no .pc file
find_package(Threads REQUIRED)
# jemalloc for the Kafka consumer (jobctl-bronze-ingest): librdkafka's
# fetch thread allocates every message and the consumer thread frees it;
# glibc malloc serializes that on one arena lock (a quarter of the
# ingest's CPU). Not under the sanitizers, which bring their own malloc.
option(JC_JEMALLOC "link the Kafka ingest with jemalloc" ON)
set(JC_MALLOC_LIB "")
if(JC_JEMALLOC AND NOT JC_ASAN AND NOT JC_TSAN)
  find_library(JEMALLOC_LIB jemalloc)
  if(JEMALLOC_LIB)
    set(JC_MALLOC_LIB ${JEMALLOC_LIB})
  else()
    message(WARNING "jemalloc not found (libjemalloc-dev): the Kafka ingest "
                    "uses glibc malloc and is slower")
  endif()
endif()
