using System.Diagnostics.Metrics;
using GanServe.Server.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace GanServe.Server.Tests.Support;

/// <summary>Telemetry objects for unit tests, over a private meter factory.</summary>
internal static class TestTelemetry
{
    public static GanServeMetrics Metrics(TimeProvider time)
    {
        var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        return new GanServeMetrics(services.GetRequiredService<IMeterFactory>(), time);
    }
}
