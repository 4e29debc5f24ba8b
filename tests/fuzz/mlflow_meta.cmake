# fuzz target mlflow_meta: MLflow file-store meta.yaml and MLmodel readers.
jc_fuzz_target(mlflow_meta SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_mlflow_meta.c LIBS ml)
