# fuzz target mlflow_response: MLflow REST model-versions/search bodies.
jc_fuzz_target(mlflow_response SOURCES ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_mlflow_response.c LIBS ml)
