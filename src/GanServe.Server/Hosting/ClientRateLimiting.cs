using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using GanServe.Server.Api;
using GanServe.Server.Configuration;
using GanServe.Server.Metrics;
using GanServe.Server.Models;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace GanServe.Server.Hosting;

/// <summary>
/// A token bucket per client on the model API (ASP.NET Core's rate limiting): the client is the API key it
/// presented when that key is valid, else its remote address. Health, metrics, docs and the demo page are not
/// limited. Rejections are 429 with <c>Retry-After</c>.
/// </summary>
public static class ClientRateLimiting
{
    private const string Unlimited = "unlimited";

    /// <summary>Configures the limiter from <c>GanServe:Security:RateLimit</c> (used only when it is on).</summary>
    public static IServiceCollection AddClientRateLimiting(this IServiceCollection services)
    {
        services.AddRateLimiter(static _ => { });
        services.AddOptions<RateLimiterOptions>()
            .Configure<IOptions<GanServeOptions>, ApiKeyVerifier>((limiter, serving, keys) =>
            {
                var bucket = BucketOptions(serving.Value.Security.RateLimit);
                var keyPartitions = Enumerable.Range(0, keys.Count).Select(i => "key:" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
                limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                {
                    if (ApiScope.Classify(context.Request.Path) != PathKind.Api)
                    {
                        return RateLimitPartition.GetNoLimiter(Unlimited);
                    }

                    var client = keys.IsEnabled ? keys.Identify(context) : ClientKey.None;
                    var partition = client.IsValid ? keyPartitions[client.KeyIndex] : "ip:" + ClientAddress(context.Connection.RemoteIpAddress);
                    return RateLimitPartition.GetTokenBucketLimiter(partition, _ => bucket);
                });
                limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
                limiter.OnRejected = RejectAsync;
            });
        return services;
    }

    /// <summary>Adds the limiter to the pipeline when <c>PermitsPerSecond</c> is above 0; otherwise adds nothing at all.</summary>
    public static IApplicationBuilder UseClientRateLimiting(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);

        // Decided when the pipeline is built (after the options were validated at start), not per request.
        return app.Use(next =>
        {
            var options = app.ApplicationServices.GetRequiredService<IOptions<GanServeOptions>>().Value;
            if (options.Security.RateLimit.PermitsPerSecond <= 0)
            {
                return next;
            }

            var limited = app.New();
            limited.UseRateLimiter();
            limited.Run(next);
            return limited.Build();
        });
    }

    /// <summary>The bucket: <c>Burst</c> tokens (PermitsPerSecond when 0), refilled by PermitsPerSecond each second; no queueing.</summary>
    internal static TokenBucketRateLimiterOptions BucketOptions(RateLimitOptions options) => new()
    {
        TokenLimit = options.Burst > 0 ? options.Burst : Math.Max(1, options.PermitsPerSecond),
        TokensPerPeriod = Math.Max(1, options.PermitsPerSecond),
        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
        QueueLimit = 0,
        AutoReplenishment = true,
    };

    /// <summary>
    /// The partition of an address: IPv4 as is (also when mapped into IPv6); IPv6 by its /64 prefix, the block one
    /// subscriber usually holds, so a client cannot get a fresh bucket by changing the low bits of its address.
    /// </summary>
    internal static string ClientAddress(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes).ToString() + "/64";
    }

    private static async ValueTask RejectAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        var seconds = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter)
            ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds))
            : 1;
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        CountRejection(context);

        var detail = $"This client's rate limit (GanServe:Security:RateLimit) is spent; retry in {seconds} s.";
        if (ApiScope.IsOpenInference(context.Request.Path))
        {
            await context.Response.WriteAsJsonAsync(new { error = detail }, cancellationToken);
            return;
        }

        await TypedResults.Problem(
            detail: detail,
            statusCode: StatusCodes.Status429TooManyRequests,
            title: "The client's rate limit is spent.",
            type: Problems.TypePrefix + "rate-limited").ExecuteAsync(context);
    }

    /// <summary>
    /// <c>ganserve_rejected_total{reason="rate_limited"}</c>, with the model when the route names one that is served
    /// (an unknown name from the path must not create a series), else without a model label.
    /// </summary>
    private static void CountRejection(HttpContext context)
    {
        var metrics = context.RequestServices.GetRequiredService<GanServeMetrics>();
        if (context.GetRouteValue("model") is string model && context.RequestServices.GetRequiredService<ModelCatalog>().Models.ContainsKey(model))
        {
            metrics.For(model).Rejected(RejectionReasons.RateLimited);
            return;
        }

        metrics.Rejected.Add(1, new KeyValuePair<string, object?>("reason", RejectionReasons.RateLimited));
    }
}
