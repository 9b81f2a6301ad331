# The JobTask service for production: slim, non-root, configured by environment (see README).
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir --prefix=/install .

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
