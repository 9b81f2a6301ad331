# The JobTask service for production: slim, non-root, configured by environment (see docs/deployment.md).
# The runtime dependencies are the pins the tests ran with (requirements/runtime.txt, `make lock`),
# the `otel` extra's included (OTEL_ENABLED=true traces); the package installs without dependencies.
# `make image-check` repeats these two installs in a clean virtualenv and runs the console scripts
# from it, tracing included (there is no Docker engine in CI).
FROM python:3.11-slim AS build
WORKDIR /src
COPY requirements/runtime.txt ./requirements/
RUN pip install --no-cache-dir --prefix=/install -r requirements/runtime.txt
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir --prefix=/install --no-deps .

FROM python:3.11-slim
RUN useradd --system --uid 10001 --no-create-home jobtask
COPY --from=build /install /usr/local
USER 10001
ENV GRPC_PORT=50051 \
    PYTHONUNBUFFERED=1
EXPOSE 50051 8080 9090
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
    CMD ["jobtask-healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["jobtask-server"]
