# Fuzz target delta_action: Delta commit files (JSON lines of actions).
# -Wno-error: see kafka_payload.cmake (standalone_driver.c MAX_INPUT).
set_property(SOURCE ${CMAKE_SOURCE_DIR}/tests/fuzz/standalone_driver.c
  APPEND PROPERTY COMPILE_OPTIONS -Wno-error)
jc_fuzz_target(delta_action SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_delta_action.c LIBS lake)
target_include_directories(fuzz-replay-delta_action PRIVATE ${CMAKE_SOURCE_DIR}/lib/lake)
if(TARGET fuzz-delta_action)
  target_include_directories(fuzz-delta_action PRIVATE ${CMAKE_SOURCE_DIR}/lib/lake)
endif()
