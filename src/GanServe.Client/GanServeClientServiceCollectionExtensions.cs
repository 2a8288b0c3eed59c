using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;

namespace GanServe.Client;

/// <summary>Registers <see cref="GanServeClient"/> with its resilience pipeline.</summary>
public static class GanServeClientServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="GanServeClient"/> as a typed HttpClient: retries with exponential backoff and jitter on 429, 503,
    /// other 5xx, 408 and transport failures, waiting what <c>Retry-After</c> says when the server gives it; a circuit
    /// breaker; per-attempt and total timeouts. All of it comes from <see cref="GanServeClientOptions"/>.
    /// </summary>
    public static IHttpClientBuilder AddGanServeClient(this IServiceCollection services, Action<GanServeClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<GanServeClientOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        var builder = services.AddHttpClient<GanServeClient>((sp, http) =>
        {
            var settings = sp.GetRequiredService<IOptions<GanServeClientOptions>>().Value;
            http.BaseAddress = settings.BaseAddress;

            // The pipeline's timeouts govern; HttpClient's own 100 s would cut retries short.
            http.Timeout = Timeout.InfiniteTimeSpan;
            if (!string.IsNullOrEmpty(settings.ApiKey))
            {
                http.DefaultRequestHeaders.Add("X-Api-Key", settings.ApiKey);
            }
        });
        builder.AddStandardResilienceHandler().Configure((HttpStandardResilienceOptions resilience, IServiceProvider sp) =>
            Apply(resilience, sp.GetRequiredService<IOptions<GanServeClientOptions>>().Value));
        return builder;
    }

    private static void Apply(HttpStandardResilienceOptions resilience, GanServeClientOptions options)
    {
        resilience.TotalRequestTimeout.Timeout = options.TotalTimeout;
        resilience.AttemptTimeout.Timeout = options.AttemptTimeout;

        var retry = resilience.Retry;
        retry.MaxRetryAttempts = options.MaxRetryAttempts;
        retry.Delay = options.RetryBaseDelay;
        retry.MaxDelay = options.MaxRetryDelay;
        retry.BackoffType = DelayBackoffType.Exponential;
        retry.UseJitter = true;
        retry.ShouldRetryAfterHeader = true;
        var transient = retry.ShouldHandle;
        retry.ShouldHandle = args => IsNoRetry(args.Outcome) ? PredicateResult.False() : transient(args);

        var circuit = resilience.CircuitBreaker;
        circuit.FailureRatio = options.CircuitFailureRatio;
        circuit.MinimumThroughput = options.CircuitMinimumThroughput;
        circuit.SamplingDuration = options.CircuitSamplingDuration;
        circuit.BreakDuration = options.CircuitBreakDuration;

        // Probes answer 503 by design; that says the server is not ready, not that it is failing.
        var failing = circuit.ShouldHandle;
        circuit.ShouldHandle = args => IsNoRetry(args.Outcome) && args.Outcome.Result?.StatusCode == HttpStatusCode.ServiceUnavailable
            ? PredicateResult.False()
            : failing(args);
    }

    private static bool IsNoRetry(Outcome<HttpResponseMessage> outcome) =>
        outcome.Result?.RequestMessage?.Options.TryGetValue(GanServeClient.NoRetry, out var skip) == true && skip;
}
