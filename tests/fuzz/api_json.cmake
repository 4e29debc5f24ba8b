# fuzz target api_json: REST API request bodies and query strings.
jc_fuzz_target(api_json SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_api_json.c LIBS jc_api)
