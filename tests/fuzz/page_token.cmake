# fuzz target page_token: API 2.2 page_token values of jobs/get and runs/get.
jc_fuzz_target(page_token SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_page_token.c LIBS jc_api)
