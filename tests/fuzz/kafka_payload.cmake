# Fuzz target for the bronze payload scanner. The -Wno-error works around
# standalone_driver.c's MAX_INPUT clashing with <limits.h> (see notes).
set_property(SOURCE ${CMAKE_SOURCE_DIR}/tests/fuzz/standalone_driver.c
  APPEND PROPERTY COMPILE_OPTIONS -Wno-error)
jc_fuzz_target(kafka_payload SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_kafka_payload.c LIBS jt_ingest_parse)
