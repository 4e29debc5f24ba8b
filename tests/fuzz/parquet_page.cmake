# Fuzz target parquet_page (lib/lake Parquet reader). -Wno-error: see
# kafka_payload.cmake (standalone_driver.c MAX_INPUT vs <limits.h>).
set_property(SOURCE ${CMAKE_SOURCE_DIR}/tests/fuzz/standalone_driver.c
  APPEND PROPERTY COMPILE_OPTIONS -Wno-error)
jc_fuzz_target(parquet_page SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_parquet_page.c LIBS lake)
