# fuzz target spec_json: the JSON job loader, validation and DAG.
jc_fuzz_target(spec_json SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_spec_json.c LIBS jc_core)
