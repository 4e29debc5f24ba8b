# jobctl: stage 1 installs the dependencies, builds and runs the whole test
# suite; stage 2 ships jobctl, the pipeline task programs and the job
# definitions on debian:12-slim.
#
# Build from the directory that holds the checkout and the steering shared/
# folder (the tests read the golden Delta tables and the seed from there):
#   docker build -f main/Dockerfile --build-arg REPO=main -t jobctl .
FROM debian:12-slim AS build
ARG REPO=main
WORKDIR /src
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends make
COPY ${REPO}/scripts/ scripts/
COPY ${REPO}/tests/node/package.json ${REPO}/tests/node/package-lock.json tests/node/
RUN sh scripts/install-deps.sh
COPY shared/ /shared/
COPY ${REPO}/ .
RUN make build CMAKE_FLAGS=-DJC_SHARED_DIR=/shared \
    && cd build && ctest -j2 --output-on-failure

FROM debian:12-slim
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends \
      libuv1 libyaml-0-2 libsqlite3-0 librdkafka1 libcurl4 libjansson4 \
      libhttp-parser2.9 libzstd1 libsnappy1v5 libjemalloc2 libssl3 zlib1g tzdata \
      ca-certificates python3 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/bin/ /usr/lib/jobctl/
COPY --from=build /src/jobs/ /usr/share/jobctl/jobs/
COPY --from=build /src/lib/ml/export_sklearn_iforest.py /usr/share/jobctl/
# jobs/workspace links point into build/bin: repoint them at /usr/lib/jobctl
RUN ln -s /usr/lib/jobctl/jobctl /usr/local/bin/jobctl \
    && for f in /usr/share/jobctl/jobs/workspace/*; do \
         [ -L "$f" ] && ln -sf "/usr/lib/jobctl/$(basename "$(readlink "$f")")" "$f"; \
       done; true
ENV JOBCTL_HOME=/var/lib/jobctl
WORKDIR /usr/share/jobctl
EXPOSE 8080
ENTRYPOINT ["jobctl"]
# The API refuses to listen beyond loopback without JOBCTL_TOKEN: pass
# -e JOBCTL_TOKEN=... when publishing the port.
CMD ["serve", "--listen", "0.0.0.0:8080", "--jobs-dir", "/usr/share/jobctl/jobs", "--workspace", "/usr/share/jobctl/jobs/workspace"]
