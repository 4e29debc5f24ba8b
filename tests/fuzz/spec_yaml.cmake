# fuzz target spec_yaml: the bundle YAML loader and validation.
jc_fuzz_target(spec_yaml SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_spec_yaml.c LIBS jc_core)
