using GanServe.Server.Configuration;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace GanServe.Server.Hosting;

/// <summary>Sets every Kestrel limit a public endpoint depends on from <c>GanServe:Limits</c> and <c>GanServe:Requests</c>, none left to the framework's defaults.</summary>
public static class KestrelLimits
{
    /// <summary>Copies the options onto Kestrel's limits.</summary>
    public static void Apply(KestrelServerLimits limits, GanServeOptions options)
    {
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentNullException.ThrowIfNull(options);
        var configured = options.Limits;
        limits.MaxRequestBodySize = options.Requests.MaxBodyBytes;
        limits.MaxRequestHeadersTotalSize = configured.MaxRequestHeadersTotalSize;
        limits.MaxRequestHeaderCount = configured.MaxRequestHeaderCount;
        limits.MaxRequestLineSize = configured.MaxRequestLineSize;
        limits.MaxConcurrentConnections = configured.MaxConcurrentConnections;

        // No protocol upgrades (WebSockets) are served; each would count against this separately.
        limits.MaxConcurrentUpgradedConnections = 0;
        limits.KeepAliveTimeout = configured.KeepAliveTimeout;
        limits.RequestHeadersTimeout = configured.RequestHeadersTimeout;
        limits.MinRequestBodyDataRate = configured.MinRequestBodyBytesPerSecond > 0
            ? new MinDataRate(configured.MinRequestBodyBytesPerSecond, configured.MinRequestBodyGracePeriod)
            : null;
    }
}
