# jobctl: stage 1 builds and runs the test suite; stage 2 ships jobctl,
# the pipeline task programs and the job definitions on debian:12-slim.
FROM debian:12-slim AS build
WORKDIR /src
COPY scripts/ scripts/
COPY tests/node/package.json tests/node/package-lock.json* tests/node/
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends make \
    && sh scripts/install-deps.sh
COPY . .
# tests read the golden Delta tables from ../shared when present
RUN make build && (cd build && ctest -j2 --output-on-failure -LE slow)

FROM debian:12-slim
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends \
      libuv1 libyaml-0-2 libsqlite3-0 librdkafka1 libcurl4 libjansson4 \
      libhttp-parser2.9 libzstd1 libsnappy1v5 libssl3 zlib1g tzdata \
      ca-certificates python3 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/bin/ /usr/lib/jobctl/
COPY --from=build /src/jobs/ /usr/share/jobctl/jobs/
RUN ln -s /usr/lib/jobctl/jobctl /usr/local/bin/jobctl \
    && for f in /usr/share/jobctl/jobs/workspace/*; do \
         [ -L "$f" ] && ln -sf "/usr/lib/jobctl/$(basename "$(readlink "$f")")" "$f"; \
       done; true
ENV JOBCTL_HOME=/var/lib/jobctl
WORKDIR /usr/share/jobctl
EXPOSE 8080
ENTRYPOINT ["jobctl"]
CMD ["serve", "--listen", "0.0.0.0:8080", "--jobs-dir", "/usr/share/jobctl/jobs"]
