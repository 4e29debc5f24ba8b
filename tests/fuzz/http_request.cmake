# fuzz target http_request: the HTTP request parser (orchestrator/http).
jc_fuzz_target(http_request SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_http_request.c LIBS jc_http)
