using System.ComponentModel.DataAnnotations;

namespace GanServe.Server.Configuration;

/// <summary>Everything under the <c>GanServe</c> configuration section.</summary>
public sealed class GanServeOptions
{
    /// <summary>The configuration section these options bind to.</summary>
    public const string SectionName = "GanServe";

    /// <summary>The model repository; relative paths are resolved by <see cref="ModelsPathResolver"/>.</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "GanServe:ModelsPath must name the model repository folder.")]
    public string ModelsPath { get; set; } = "models";

    /// <summary>ONNX Runtime settings.</summary>
    public InferenceOptions Inference { get; set; } = new();

    /// <summary>Batcher settings.</summary>
    public BatchingOptions Batching { get; set; } = new();

    /// <summary>Limits on what one request may ask for.</summary>
    public RequestOptions Requests { get; set; } = new();

    /// <summary>Timeout and circuit breaker around each batch.</summary>
    public ResilienceOptions Resilience { get; set; } = new();

    /// <summary>API keys, rate limits and CORS.</summary>
    public SecurityOptions Security { get; set; } = new();

    /// <summary>Kestrel's connection and request limits.</summary>
    public ConnectionLimitOptions Limits { get; set; } = new();

    /// <summary>How long queued and running work may take to finish after SIGTERM.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00", ErrorMessage = "GanServe:ShutdownTimeout must be between {1} and {2}.")]
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(25);

    /// <summary>
    /// After SIGTERM, how long the listener stays open answering <c>/readyz</c> 503 ("draining") and new requests
    /// 503, so load balancers see the state before the port closes. Part of <see cref="ShutdownTimeout"/>.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00", ErrorMessage = "GanServe:DrainDelay must be between {1} and {2}.")]
    public TimeSpan DrainDelay { get; set; } = TimeSpan.FromSeconds(2);
}

/// <summary>Which ONNX Runtime execution provider to use.</summary>
public enum ExecutionProviderChoice
{
    /// <summary>CUDA when it loads, else CPU with a warning.</summary>
    Auto,

    /// <summary>CUDA or refuse to start.</summary>
    Cuda,

    /// <summary>CPU only.</summary>
    Cpu,
}

/// <summary>The <c>GanServe:Inference</c> section.</summary>
public sealed class InferenceOptions
{
    /// <summary>Auto, Cuda or Cpu.</summary>
    [EnumDataType(typeof(ExecutionProviderChoice), ErrorMessage = "GanServe:Inference:Provider must be Auto, Cuda or Cpu.")]
    public ExecutionProviderChoice Provider { get; set; } = ExecutionProviderChoice.Auto;

    /// <summary>The CUDA device ordinal.</summary>
    [Range(0, 64, ErrorMessage = "GanServe:Inference:DeviceId must be between {1} and {2}.")]
    public int DeviceId { get; set; }

    /// <summary>Intra-op threads of each session; 0 means the CPUs this process may use.</summary>
    [Range(0, 1024, ErrorMessage = "GanServe:Inference:IntraOpThreads must be between {1} and {2} (0 = the CPUs the process may use).")]
    public int IntraOpThreads { get; set; }

    /// <summary>Allow TF32 matrix maths on CUDA (faster, but results may then change with batch size).</summary>
    public bool UseTf32 { get; set; }

    /// <summary>
    /// Whether ONNX Runtime's intra-op threads spin while waiting for work (ONNX Runtime's own default is to spin).
    /// Off by default here: spinning threads hold cores that request handling and encoding need, which cost a
    /// 2-core server 10-28 % of its saturated throughput (docs/benchmarks.md) for ~0.06 ms less at one client.
    /// </summary>
    public bool AllowSpinning { get; set; }
}

/// <summary>The <c>GanServe:Batching</c> section.</summary>
public sealed class BatchingOptions
{
    /// <summary>The most images one forward pass takes.</summary>
    [Range(1, 4096, ErrorMessage = "GanServe:Batching:MaxBatchSize must be between {1} and {2}.")]
    public int MaxBatchSize { get; set; } = 64;

    /// <summary>How long a batch that is not full waits for more requests once the first arrived (0 = never wait).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10", ErrorMessage = "GanServe:Batching:MaxQueueDelay must be between {1} and {2}.")]
    public TimeSpan MaxQueueDelay { get; set; } = TimeSpan.Zero;

    /// <summary>The most images waiting in one model's queue; more is rejected with 429.</summary>
    [Range(1, 1_000_000, ErrorMessage = "GanServe:Batching:QueueCapacity must be between {1} and {2}.")]
    public int QueueCapacity { get; set; } = 1024;

    /// <summary>Batch sizes to pad to (keeps the set of shapes small on CUDA); empty means no padding.</summary>
    public int[] Buckets { get; set; } = [];
}

/// <summary>The <c>GanServe:Requests</c> section.</summary>
public sealed class RequestOptions
{
    /// <summary>The most images one request may ask for.</summary>
    [Range(1, 100_000, ErrorMessage = "GanServe:Requests:MaxImagesPerRequest must be between {1} and {2}.")]
    public int MaxImagesPerRequest { get; set; } = 64;

    /// <summary>The largest nearest-neighbour upscaling factor.</summary>
    [Range(1, 256, ErrorMessage = "GanServe:Requests:MaxScale must be between {1} and {2}.")]
    public int MaxScale { get; set; } = 16;

    /// <summary>The most output pixels one answer may hold (all images together, after scaling).</summary>
    [Range(typeof(long), "1", "1000000000", ErrorMessage = "GanServe:Requests:MaxPixelsPerResponse must be between {1} and {2}.")]
    public long MaxPixelsPerResponse { get; set; } = 16_777_216;

    /// <summary>The deadline of a request that sends no <c>X-GanServe-Timeout</c>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00", ErrorMessage = "GanServe:Requests:DefaultTimeout must be between {1} and {2}.")]
    public TimeSpan DefaultTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The cap on a client's <c>X-GanServe-Timeout</c>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "01:00:00", ErrorMessage = "GanServe:Requests:MaxTimeout must be between {1} and {2}.")]
    public TimeSpan MaxTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The largest request body accepted (413 beyond).</summary>
    [Range(1, 1L << 30, ErrorMessage = "GanServe:Requests:MaxBodyBytes must be between {1} and {2}.")]
    public long MaxBodyBytes { get; set; } = 1 << 20;
}

/// <summary>The <c>GanServe:Resilience</c> section.</summary>
public sealed class ResilienceOptions
{
    /// <summary>The longest one forward pass may take before it counts as failed.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00", ErrorMessage = "GanServe:Resilience:BatchTimeout must be between {1} and {2}.")]
    public TimeSpan BatchTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Failed batches in a row (within the sampling window) that open the circuit.</summary>
    [Range(2, 1000, ErrorMessage = "GanServe:Resilience:FailureThreshold must be between {1} and {2}.")]
    public int FailureThreshold { get; set; } = 5;

    /// <summary>How long the circuit stays open before a probe batch tries the model again.</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "01:00:00", ErrorMessage = "GanServe:Resilience:BreakDuration must be between {1} and {2}.")]
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>The <c>GanServe:Security</c> section.</summary>
public sealed class SecurityOptions
{
    /// <summary>Accepted API keys as secrets (<c>X-Api-Key</c> or <c>Authorization: Bearer</c>); with no keys or hashes the API is open.</summary>
    public string[] ApiKeys { get; set; } = [];

    /// <summary>Accepted API keys as the hex SHA-256 of each key (64 hex digits), so the configuration need not hold the secret.</summary>
    public string[] ApiKeyHashes { get; set; } = [];

    /// <summary>When keys are configured, whether <c>/healthz</c>, <c>/readyz</c> and <c>/v2/health/*</c> need one too (default: open).</summary>
    public bool HealthRequiresKey { get; set; }

    /// <summary>When keys are configured, whether <c>/metrics</c> and <c>/v1/stats</c> need one too (default: open).</summary>
    public bool MetricsRequireKey { get; set; }

    /// <summary>Per-client rate limiting of the API.</summary>
    public RateLimitOptions RateLimit { get; set; } = new();

    /// <summary>Origins allowed by CORS (not implemented yet: must stay empty).</summary>
    public string[] CorsOrigins { get; set; } = [];
}

/// <summary>The <c>GanServe:Security:RateLimit</c> section: a token bucket per client.</summary>
public sealed class RateLimitOptions
{
    /// <summary>Requests each client may make per second on average; 0 turns rate limiting off.</summary>
    [Range(0, 1_000_000, ErrorMessage = "GanServe:Security:RateLimit:PermitsPerSecond must be between {1} and {2} (0 = off).")]
    public int PermitsPerSecond { get; set; }

    /// <summary>The most requests a client may make at once (the bucket's size); 0 means the same as PermitsPerSecond.</summary>
    [Range(0, 1_000_000, ErrorMessage = "GanServe:Security:RateLimit:Burst must be between {1} and {2} (0 = PermitsPerSecond).")]
    public int Burst { get; set; }
}

/// <summary>The <c>GanServe:Limits</c> section: what Kestrel accepts before the application sees a request.</summary>
public sealed class ConnectionLimitOptions
{
    /// <summary>The most bytes all request headers together may take (431 beyond).</summary>
    [Range(1024, 1 << 20, ErrorMessage = "GanServe:Limits:MaxRequestHeadersTotalSize must be between {1} and {2} bytes.")]
    public int MaxRequestHeadersTotalSize { get; set; } = 16 * 1024;

    /// <summary>The most request headers (431 beyond).</summary>
    [Range(1, 1000, ErrorMessage = "GanServe:Limits:MaxRequestHeaderCount must be between {1} and {2}.")]
    public int MaxRequestHeaderCount { get; set; } = 64;

    /// <summary>The longest request line, method and target included (414 beyond).</summary>
    [Range(256, 1 << 20, ErrorMessage = "GanServe:Limits:MaxRequestLineSize must be between {1} and {2} bytes.")]
    public int MaxRequestLineSize { get; set; } = 8 * 1024;

    /// <summary>The most open connections; more are closed at once without an answer.</summary>
    [Range(typeof(long), "1", "1000000", ErrorMessage = "GanServe:Limits:MaxConcurrentConnections must be between {1} and {2}.")]
    public long MaxConcurrentConnections { get; set; } = 1024;

    /// <summary>How long an idle keep-alive connection stays open (longer than a load balancer's own idle timeout).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:30:00", ErrorMessage = "GanServe:Limits:KeepAliveTimeout must be between {1} and {2}.")]
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(130);

    /// <summary>How long a client may take to send all its request headers (slow clients hold a connection otherwise).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00", ErrorMessage = "GanServe:Limits:RequestHeadersTimeout must be between {1} and {2}.")]
    public TimeSpan RequestHeadersTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The slowest a request body may arrive, in bytes per second after the grace period; 0 turns the check off.</summary>
    [Range(0d, 1_000_000_000d, ErrorMessage = "GanServe:Limits:MinRequestBodyBytesPerSecond must be between {1} and {2} (0 = off).")]
    public double MinRequestBodyBytesPerSecond { get; set; } = 240;

    /// <summary>How long a request body may arrive slower than <see cref="MinRequestBodyBytesPerSecond"/> at first.</summary>
    [Range(typeof(TimeSpan), "00:00:01.001", "00:10:00", ErrorMessage = "GanServe:Limits:MinRequestBodyGracePeriod must be longer than one second (Kestrel's minimum) and at most {2}.")]
    public TimeSpan MinRequestBodyGracePeriod { get; set; } = TimeSpan.FromSeconds(5);
}
