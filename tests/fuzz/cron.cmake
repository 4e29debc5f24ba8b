# fuzz target cron: the Quartz cron parser and next-fire search.
jc_fuzz_target(cron SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_cron.c LIBS jc_core)
