# Fuzz target delta_checkpoint: Delta checkpoint Parquet bytes.
# -Wno-error: see kafka_payload.cmake (standalone_driver.c MAX_INPUT).
set_property(SOURCE ${CMAKE_SOURCE_DIR}/tests/fuzz/standalone_driver.c
  APPEND PROPERTY COMPILE_OPTIONS -Wno-error)
jc_fuzz_target(delta_checkpoint SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_delta_checkpoint.c LIBS lake)
target_include_directories(fuzz-replay-delta_checkpoint PRIVATE ${CMAKE_SOURCE_DIR}/lib/lake)
if(TARGET fuzz-delta_checkpoint)
  target_include_directories(fuzz-delta_checkpoint PRIVATE ${CMAKE_SOURCE_DIR}/lib/lake)
endif()
