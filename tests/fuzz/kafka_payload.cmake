# Fuzz target for the bronze payload scanner.
jc_fuzz_target(kafka_payload SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_kafka_payload.c LIBS jt_ingest_parse)
