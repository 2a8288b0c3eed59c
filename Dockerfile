# syntax=docker/dockerfile:1
#
# The GanServe server image, in two flavours chosen by the build argument FLAVOR:
#
#   docker build -t ganserve:cpu .                         # FLAVOR=cpu (default): aspnet:10.0, CPU-only ONNX Runtime
#   docker build -t ganserve:gpu --build-arg FLAVOR=gpu .  # CUDA 13 + cuDNN 9 runtime with ASP.NET Core 10 added
#
# Stages follow the .NET samples (dotnet/dotnet-docker): a restore layer from the project files
# only, a publish stage, and a runtime stage that runs as the non-root user 1654 ("app") on
# port 8080. .ci/run runs the same restore and publish commands (CPU flavour) without Docker.

ARG FLAVOR=cpu
ARG DOTNET_VERSION=10.0
# ONNX Runtime 1.32's CUDA provider links libcudart.so.13 / libcublas.so.13 and loads cuDNN 9.
ARG CUDA_IMAGE=nvidia/cuda:13.0.1-cudnn-runtime-ubuntu24.04

# ---- build: restore (project files only), then publish ---------------------------------------
FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS build
ARG FLAVOR
WORKDIR /source

# What restore reads: central package versions, the shared build properties and the project files
# of the server (two) and of the load generator. (build/ holds a TorchSharp fix imported only by
# GanServe.Training.)
COPY Directory.Build.props Directory.Packages.props ./
COPY src/GanServe.Core/GanServe.Core.csproj src/GanServe.Core/
COPY src/GanServe.Server/GanServe.Server.csproj src/GanServe.Server/
COPY src/GanServe.LoadGen/GanServe.LoadGen.csproj src/GanServe.LoadGen/
RUN --mount=type=cache,id=nuget,target=/root/.nuget/packages \
    dotnet restore src/GanServe.Server/GanServe.Server.csproj -r linux-x64 -p:GanServeOnnxRuntime=${FLAVOR}
RUN --mount=type=cache,id=nuget,target=/root/.nuget/packages \
    dotnet restore src/GanServe.LoadGen/GanServe.LoadGen.csproj -r linux-x64

# The sources (.editorconfig too: code style is enforced in the build) and the publish. ONNX
# Runtime's packages copy their Windows x64 DLLs into every x64 build (about 20 MB, 210 MB with the
# CUDA provider); a Linux image has no use for them.
COPY .editorconfig ./
COPY src/GanServe.Core/ src/GanServe.Core/
COPY src/GanServe.Server/ src/GanServe.Server/
COPY src/GanServe.LoadGen/ src/GanServe.LoadGen/
RUN --mount=type=cache,id=nuget,target=/root/.nuget/packages \
    dotnet publish src/GanServe.Server/GanServe.Server.csproj -c Release -r linux-x64 --self-contained false --no-restore -p:GanServeOnnxRuntime=${FLAVOR} -o /app \
    && rm -f /app/onnxruntime.dll /app/onnxruntime_providers_*.dll
# The load generator (ganserve-load, about 30 MB with its plotting library), so a Kubernetes Job can run it
# from the same image against the Service: `dotnet /app/loadgen/ganserve-load.dll sweep ...` (k8s/jobs/).
RUN --mount=type=cache,id=nuget,target=/root/.nuget/packages \
    dotnet publish src/GanServe.LoadGen/GanServe.LoadGen.csproj -c Release -r linux-x64 --self-contained false --no-restore -o /app/loadgen

# ---- runtime bases -------------------------------------------------------------------------------
# CPU: the plain ASP.NET Core runtime (Ubuntu 24.04; sets APP_UID=1654, user "app", HTTP port 8080).
FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION} AS runtime-cpu

# GPU: NVIDIA's CUDA 13 + cuDNN 9 runtime (also Ubuntu 24.04) with the ASP.NET Core runtime copied
# from the official image, and the same user and settings that image has.
FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION} AS aspnet
FROM ${CUDA_IMAGE} AS runtime-gpu
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libssl3t64 tzdata zlib1g \
    && rm -rf /var/lib/apt/lists/*
COPY --from=aspnet /usr/share/dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet \
    && groupadd --gid 1654 app \
    && useradd --uid 1654 --gid app --no-create-home --home-dir /home/app --shell /usr/sbin/nologin app
# With a read-only root file system only /tmp is writable (an emptyDir in k8s/), so CUDA's JIT
# cache goes there.
ENV APP_UID=1654 \
    DOTNET_ROOT=/usr/share/dotnet \
    DOTNET_RUNNING_IN_CONTAINER=true \
    CUDA_CACHE_PATH=/tmp/cuda-cache

# ---- runtime -------------------------------------------------------------------------------------
FROM runtime-${FLAVOR} AS runtime
ARG FLAVOR
# Listen on every interface, port 8080 (the app itself defaults to localhost:8080 only when
# nothing is configured). The committed models are baked in at /models; mount a volume there
# (or anywhere, with GanServe__ModelsPath) to serve others. Only /tmp needs to be writable
# (docker run --read-only --tmpfs /tmp works).
ENV ASPNETCORE_HTTP_PORTS=8080 \
    GanServe__ModelsPath=/models
LABEL org.opencontainers.image.title="ganserve" \
      io.ganserve.flavor="${FLAVOR}"
EXPOSE 8080
WORKDIR /app
COPY --link --from=build /app .
COPY --link models/ /models/
USER 1654
ENTRYPOINT ["dotnet", "GanServe.Server.dll"]
