using System.Diagnostics;
using GanServe.Server.Configuration;
using GanServe.Server.Inference;
using GanServe.Server.Metrics;
using GanServe.Server.Models;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace GanServe.Server.Hosting;

/// <summary>Registers GanServe's services and middleware.</summary>
public static class GanServingExtensions
{
    /// <summary>The address served when nothing else (ASPNETCORE_URLS, --urls, Kestrel endpoints, HTTP_PORTS) says.</summary>
    public const string DefaultUrl = "http://localhost:8080";

    /// <summary>
    /// <c>dotnet path/to/GanServe.Server.dll</c> from another folder makes that folder the content root, which has no
    /// <c>appsettings.json</c>: the server would run without its logging levels (a log line per request) and settings.
    /// Then the files beside the assembly are read instead, in the same place among the sources, so environment
    /// variables and the command line still override them.
    /// </summary>
    internal static void ReadAppSettingsBesideTheBinariesWhenTheContentRootHasNone(WebApplicationBuilder builder)
    {
        var contentRoot = builder.Environment.ContentRootPath;
        if (File.Exists(Path.Combine(contentRoot, "appsettings.json"))
            || !File.Exists(Path.Combine(AppContext.BaseDirectory, "appsettings.json"))
            || string.Equals(Path.GetFullPath(contentRoot).TrimEnd('/'), Path.GetFullPath(AppContext.BaseDirectory).TrimEnd('/'), StringComparison.Ordinal))
        {
            return;
        }

        var beside = new Microsoft.Extensions.FileProviders.PhysicalFileProvider(AppContext.BaseDirectory);
        var changed = false;
        foreach (var source in builder.Configuration.Sources.OfType<Microsoft.Extensions.Configuration.Json.JsonConfigurationSource>())
        {
            if (source.Path is { } path && path.StartsWith("appsettings", StringComparison.OrdinalIgnoreCase)
                && source.FileProvider?.GetFileInfo(path).Exists != true)
            {
                source.FileProvider = beside;
                changed = true;
            }
        }

        if (changed)
        {
            ((IConfigurationRoot)builder.Configuration).Reload();
        }
    }

    /// <summary>Options, model repository, inference, batching, metrics, problem details and OpenAPI.</summary>
    public static WebApplicationBuilder AddGanServing(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ReadAppSettingsBesideTheBinariesWhenTheContentRootHasNone(builder);
        UseDefaultUrlUnlessConfigured(builder);

        var services = builder.Services;
        services.AddOptions<GanServeOptions>()
            .Configure<IConfiguration>(RawSettings.BindOrThrow)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<GanServeOptions>, GanServeOptionsValidator>();
        services.AddOptions<HostOptions>()
            .Configure<IOptions<GanServeOptions>>((host, serving) => host.ShutdownTimeout = serving.Value.ShutdownTimeout);
        services.AddOptions<KestrelServerOptions>()
            .Configure<IOptions<GanServeOptions>>((kestrel, serving) => KestrelLimits.Apply(kestrel.Limits, serving.Value));
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.Configure<JsonOptions>(o => o.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict);

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<GanServeMetrics>();
        services.AddSingleton<PrometheusExporter>();
        services.AddSingleton<ServingState>();
        services.AddSingleton<ModelCatalog>();
        services.AddSingleton<ExecutionProviders>();
        services.TryAddSingleton<IImageGeneratorFactory, OnnxImageGeneratorFactory>();
        services.AddSingleton<ModelLoader>();
        services.AddHostedService(sp => sp.GetRequiredService<ModelLoader>());
        services.AddSingleton<ApiKeyVerifier>();
        services.AddClientRateLimiting();

        services.AddSingleton<IProblemDetailsWriter, ProblemJsonWriter>();
        services.AddProblemDetails(o => o.CustomizeProblemDetails = ctx =>
        {
            ctx.ProblemDetails.Instance ??= ctx.HttpContext.Request.Path;

            // Answers the framework makes itself (unmatched routes, 405, 415) get a type and detail like the API's own.
            var status = ctx.ProblemDetails.Status ?? ctx.HttpContext.Response.StatusCode;
            if (ctx.ProblemDetails.Type is null || ctx.ProblemDetails.Type.StartsWith("https://tools.ietf.org/", StringComparison.Ordinal))
            {
                ctx.ProblemDetails.Type = Api.Problems.TypePrefix + "http-" + status.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            ctx.ProblemDetails.Detail ??= status switch
            {
                StatusCodes.Status404NotFound => $"Nothing is served at {ctx.HttpContext.Request.Path}.",
                StatusCodes.Status405MethodNotAllowed => $"{ctx.HttpContext.Request.Method} is not allowed on {ctx.HttpContext.Request.Path}.",
                StatusCodes.Status415UnsupportedMediaType => "Send the body as application/json.",
                _ => ctx.ProblemDetails.Title,
            };
            ctx.ProblemDetails.Extensions["requestId"] = ctx.HttpContext.TraceIdentifier;
            if (Activity.Current is { } activity)
            {
                ctx.ProblemDetails.Extensions["traceId"] = activity.TraceId.ToHexString();
            }
        });
        services.AddExceptionHandler<BadRequestExceptionHandler>();
        services.AddOpenApi(o => o.AddOperationTransformer(Api.ImageResponseMetadata.AddToOperation));
        return builder;
    }

    /// <summary>Request ids, errors as problem details, the rate limiter and API keys (these two only when configured).</summary>
    public static WebApplication UseGanServing(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);

        // Shutdown waits for this count to reach zero, so no answer is cut off by the host's disposal.
        var serving = app.Services.GetRequiredService<ServingState>();
        app.Use(async (context, next) =>
        {
            using var inFlight = serving.Enter();
            await next(context);
        });
        app.UseMiddleware<RequestIdMiddleware>();
        app.UseExceptionHandler();
        app.UseStatusCodePages(WriteStatusCodeBodyAsync);

        // The limiter runs before the key check, so guessing keys is limited per address too.
        app.UseClientRateLimiting();
        app.UseApiKeys();

        // The exporter's listener must exist before the first measurement.
        app.Services.GetRequiredService<PrometheusExporter>();
        return app;
    }

    /// <summary>Adds <see cref="ApiKeyMiddleware"/> when keys are configured; otherwise adds nothing at all.</summary>
    private static void UseApiKeys(this IApplicationBuilder app)
    {
        // Decided when the pipeline is built (after the options were validated at start), not per request.
        app.Use(next =>
        {
            var keys = app.ApplicationServices.GetRequiredService<ApiKeyVerifier>();
            if (!keys.IsEnabled)
            {
                return next;
            }

            var secured = app.New();
            secured.UseMiddleware<ApiKeyMiddleware>();
            secured.Run(next);
            return secured.Build();
        });
    }

    /// <summary>
    /// Bodies for the framework's own empty answers (unmatched routes, 405, 415): the Open Inference Protocol's
    /// <c>{"error": ...}</c> under <c>/v2</c>, problem details everywhere else.
    /// </summary>
    private static async Task WriteStatusCodeBodyAsync(Microsoft.AspNetCore.Diagnostics.StatusCodeContext context)
    {
        var http = context.HttpContext;
        if (http.Request.Path.StartsWithSegments("/v2", StringComparison.OrdinalIgnoreCase))
        {
            var reason = Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(http.Response.StatusCode);
            await http.Response.WriteAsJsonAsync(new { error = $"{reason}: {http.Request.Method} {http.Request.Path}" });
            return;
        }

        var problems = http.RequestServices.GetRequiredService<IProblemDetailsService>();
        await problems.WriteAsync(new ProblemDetailsContext { HttpContext = http, ProblemDetails = { Status = http.Response.StatusCode } });
    }

    private static void UseDefaultUrlUnlessConfigured(WebApplicationBuilder builder)
    {
        var config = builder.Configuration;
        var configured = !string.IsNullOrEmpty(config["urls"])
            || !string.IsNullOrEmpty(config["http_ports"])
            || !string.IsNullOrEmpty(config["https_ports"])
            || config.GetSection("Kestrel:Endpoints").GetChildren().Any();
        if (!configured)
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }
    }
}
