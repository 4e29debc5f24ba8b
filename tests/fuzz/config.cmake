jc_fuzz_target(config SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_config.c LIBS jc_core)
