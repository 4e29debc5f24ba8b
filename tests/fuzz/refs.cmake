# fuzz target refs: dynamic value references, task values files, conditions.
jc_fuzz_target(refs SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_refs.c LIBS jc_core)
