# fuzz target iforest_model: the isolation forest model file reader.
jc_fuzz_target(iforest_model SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_iforest_model.c LIBS ml)
